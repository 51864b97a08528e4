// Facts about Kubernetes API fields that the kubernetes-types declarations do not carry, written by hand from the
// Go markers of k8s.io/api v1.31 (`patchStrategy`/`patchMergeKey` struct tags, `+listType`, `+listMapKey`,
// `+mapType`/`+structType`, and int64/float64 Go field types). gen_openapi.mjs fails on any entry naming a schema
// or field that does not exist, so typos cannot slip through.

const CORE = "io.k8s.api.core.v1";
const META = "io.k8s.apimachinery.pkg.apis.meta.v1";

/** A list merged by key in strategic merge patch and treated as a map by server-side apply. */
function mergeByKey(mergeKey, listMapKeys = [mergeKey], strategy = "merge") {
  return {
    "x-kubernetes-list-map-keys": listMapKeys,
    "x-kubernetes-list-type": "map",
    "x-kubernetes-patch-merge-key": mergeKey,
    "x-kubernetes-patch-strategy": strategy,
  };
}
/** Strategic merge by key, but an atomic list for server-side apply (duplicates of the key are allowed). */
function mergeByKeyAtomic(mergeKey) {
  return { "x-kubernetes-list-type": "atomic", "x-kubernetes-patch-merge-key": mergeKey, "x-kubernetes-patch-strategy": "merge" };
}
const ATOMIC = { "x-kubernetes-list-type": "atomic" };
const SET = { "x-kubernetes-list-type": "set" };
const CONDITIONS = mergeByKey("type");

const CONTAINER_FIELDS = {
  args: ATOMIC,
  command: ATOMIC,
  env: mergeByKey("name"),
  envFrom: ATOMIC,
  ports: mergeByKey("containerPort", ["containerPort", "protocol"]),
  resizePolicy: ATOMIC,
  volumeDevices: mergeByKey("devicePath"),
  volumeMounts: mergeByKey("mountPath"),
};

/** schema name -> property -> extensions placed on the property schema. */
export const FIELD_META = {
  [`${META}.ObjectMeta`]: {
    finalizers: { "x-kubernetes-list-type": "set", "x-kubernetes-patch-strategy": "merge" },
    managedFields: ATOMIC,
    ownerReferences: mergeByKey("uid"),
  },
  [`${META}.LabelSelector`]: { matchExpressions: ATOMIC },
  [`${META}.LabelSelectorRequirement`]: { values: ATOMIC },

  [`${CORE}.PodSpec`]: {
    containers: mergeByKey("name"),
    ephemeralContainers: mergeByKey("name"),
    hostAliases: mergeByKey("ip"),
    imagePullSecrets: mergeByKey("name"),
    initContainers: mergeByKey("name"),
    readinessGates: ATOMIC,
    resourceClaims: mergeByKey("name", ["name"], "merge,retainKeys"),
    schedulingGates: mergeByKey("name"),
    tolerations: ATOMIC,
    topologySpreadConstraints: mergeByKey("topologyKey", ["topologyKey", "whenUnsatisfiable"]),
    volumes: mergeByKey("name", ["name"], "merge,retainKeys"),
  },
  [`${CORE}.Container`]: CONTAINER_FIELDS,
  [`${CORE}.EphemeralContainer`]: CONTAINER_FIELDS,
  [`${CORE}.PodSecurityContext`]: { supplementalGroups: ATOMIC, sysctls: ATOMIC },
  [`${CORE}.Capabilities`]: { add: ATOMIC, drop: ATOMIC },
  [`${CORE}.HostAlias`]: { hostnames: ATOMIC },
  [`${CORE}.PodDNSConfig`]: { nameservers: ATOMIC, options: ATOMIC, searches: ATOMIC },
  [`${CORE}.PodStatus`]: {
    conditions: CONDITIONS,
    containerStatuses: ATOMIC,
    ephemeralContainerStatuses: ATOMIC,
    hostIPs: mergeByKeyAtomic("ip"),
    initContainerStatuses: ATOMIC,
    podIPs: mergeByKey("ip"),
    resourceClaimStatuses: mergeByKey("name", ["name"], "merge,retainKeys"),
  },
  [`${CORE}.NodeSelector`]: { nodeSelectorTerms: ATOMIC },
  [`${CORE}.NodeSelectorTerm`]: { matchExpressions: ATOMIC, matchFields: ATOMIC },
  [`${CORE}.NodeSelectorRequirement`]: { values: ATOMIC },
  [`${CORE}.PodAffinity`]: { preferredDuringSchedulingIgnoredDuringExecution: ATOMIC, requiredDuringSchedulingIgnoredDuringExecution: ATOMIC },
  [`${CORE}.PodAntiAffinity`]: { preferredDuringSchedulingIgnoredDuringExecution: ATOMIC, requiredDuringSchedulingIgnoredDuringExecution: ATOMIC },
  [`${CORE}.NodeAffinity`]: { preferredDuringSchedulingIgnoredDuringExecution: ATOMIC },
  [`${CORE}.PodAffinityTerm`]: { matchLabelKeys: ATOMIC, mismatchLabelKeys: ATOMIC, namespaces: ATOMIC },
  [`${CORE}.TopologySpreadConstraint`]: { matchLabelKeys: ATOMIC },
  [`${CORE}.ExecAction`]: { command: ATOMIC },
  [`${CORE}.HTTPGetAction`]: { httpHeaders: ATOMIC },

  [`${CORE}.NodeSpec`]: { podCIDRs: { "x-kubernetes-list-type": "set", "x-kubernetes-patch-strategy": "merge" }, taints: ATOMIC },
  [`${CORE}.NodeStatus`]: {
    addresses: mergeByKeyAtomic("type"),
    conditions: CONDITIONS,
    images: ATOMIC,
    volumesAttached: ATOMIC,
    volumesInUse: ATOMIC,
  },
  [`${CORE}.ServiceSpec`]: {
    clusterIPs: ATOMIC,
    externalIPs: ATOMIC,
    ipFamilies: ATOMIC,
    loadBalancerSourceRanges: ATOMIC,
    ports: mergeByKey("port", ["port", "protocol"]),
  },
  [`${CORE}.ServiceStatus`]: { conditions: CONDITIONS },
  [`${CORE}.LoadBalancerStatus`]: { ingress: ATOMIC },
  [`${CORE}.LoadBalancerIngress`]: { ports: ATOMIC },
  [`${CORE}.ServiceAccount`]: { imagePullSecrets: ATOMIC, secrets: mergeByKey("name") },
  [`${CORE}.Endpoints`]: { subsets: ATOMIC },
  [`${CORE}.EndpointSubset`]: { addresses: ATOMIC, notReadyAddresses: ATOMIC, ports: ATOMIC },
  [`${CORE}.NamespaceSpec`]: { finalizers: ATOMIC },
  [`${CORE}.NamespaceStatus`]: { conditions: CONDITIONS },
  [`${CORE}.PersistentVolumeClaimSpec`]: { accessModes: ATOMIC },
  [`${CORE}.PersistentVolumeClaimStatus`]: { accessModes: ATOMIC, conditions: CONDITIONS },
  [`${CORE}.PersistentVolumeSpec`]: { accessModes: ATOMIC, mountOptions: ATOMIC },
  [`${CORE}.ReplicationControllerStatus`]: { conditions: CONDITIONS },
  [`${CORE}.ComponentStatus`]: { conditions: CONDITIONS },
  [`${CORE}.LimitRangeSpec`]: { limits: ATOMIC },
  [`${CORE}.ResourceQuotaSpec`]: { scopes: ATOMIC },
  [`${CORE}.ResourceRequirements`]: { claims: { "x-kubernetes-list-map-keys": ["name"], "x-kubernetes-list-type": "map" } },

  "io.k8s.api.apps.v1.DeploymentSpec": { strategy: { "x-kubernetes-patch-strategy": "retainKeys" } },
  "io.k8s.api.apps.v1.DeploymentStatus": { conditions: CONDITIONS },
  "io.k8s.api.apps.v1.ReplicaSetStatus": { conditions: CONDITIONS },
  "io.k8s.api.apps.v1.DaemonSetStatus": { conditions: CONDITIONS },
  "io.k8s.api.apps.v1.StatefulSetSpec": { volumeClaimTemplates: ATOMIC },
  "io.k8s.api.apps.v1.StatefulSetStatus": { conditions: CONDITIONS },
  "io.k8s.api.batch.v1.JobStatus": { conditions: mergeByKeyAtomic("type") },
  "io.k8s.api.batch.v1.CronJobStatus": { active: ATOMIC },
  "io.k8s.api.batch.v1.PodFailurePolicy": { rules: ATOMIC },
  "io.k8s.api.autoscaling.v2.HorizontalPodAutoscalerSpec": { metrics: ATOMIC },
  "io.k8s.api.autoscaling.v2.HorizontalPodAutoscalerStatus": { conditions: CONDITIONS, currentMetrics: ATOMIC },
  "io.k8s.api.policy.v1.PodDisruptionBudgetStatus": { conditions: CONDITIONS },
  "io.k8s.api.discovery.v1.EndpointSlice": { endpoints: ATOMIC, ports: ATOMIC },
  "io.k8s.api.discovery.v1.Endpoint": { addresses: SET },
  "io.k8s.api.networking.v1.IngressSpec": { rules: ATOMIC, tls: ATOMIC },
  "io.k8s.api.networking.v1.NetworkPolicySpec": { egress: ATOMIC, ingress: ATOMIC, policyTypes: ATOMIC },
  "io.k8s.api.rbac.v1.Role": { rules: ATOMIC },
  "io.k8s.api.rbac.v1.ClusterRole": { rules: ATOMIC },
  "io.k8s.api.rbac.v1.RoleBinding": { subjects: ATOMIC },
  "io.k8s.api.rbac.v1.ClusterRoleBinding": { subjects: ATOMIC },
  "io.k8s.api.storage.v1.CSINodeSpec": { drivers: mergeByKey("name") },
  "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinitionStatus": {
    conditions: { "x-kubernetes-list-map-keys": ["type"], "x-kubernetes-list-type": "map" },
    storedVersions: ATOMIC,
  },
};

/** Whole-object extensions: types that server-side apply treats as one atomic value. */
export const TYPE_META = {
  [`${META}.LabelSelector`]: { "x-kubernetes-map-type": "atomic" },
  [`${CORE}.LocalObjectReference`]: { "x-kubernetes-map-type": "atomic" },
  [`${CORE}.ObjectReference`]: { "x-kubernetes-map-type": "atomic" },
  [`${CORE}.TypedLocalObjectReference`]: { "x-kubernetes-map-type": "atomic" },
  [`${CORE}.TypedObjectReference`]: { "x-kubernetes-map-type": "atomic" },
  [`${CORE}.ConfigMapKeySelector`]: { "x-kubernetes-map-type": "atomic" },
  [`${CORE}.SecretKeySelector`]: { "x-kubernetes-map-type": "atomic" },
  [`${CORE}.ObjectFieldSelector`]: { "x-kubernetes-map-type": "atomic" },
  [`${CORE}.ResourceFieldSelector`]: { "x-kubernetes-map-type": "atomic" },
  [`${CORE}.SecretReference`]: { "x-kubernetes-map-type": "atomic" },
  [`${CORE}.NodeSelector`]: { "x-kubernetes-map-type": "atomic" },
  [`${CORE}.NodeSelectorTerm`]: { "x-kubernetes-map-type": "atomic" },
  [`${CORE}.TopologySelectorTerm`]: { "x-kubernetes-map-type": "atomic" },
  [`${CORE}.ConfigMapEnvSource`]: { "x-kubernetes-map-type": "atomic" },
  [`${CORE}.SecretEnvSource`]: { "x-kubernetes-map-type": "atomic" },
  [`${CORE}.ConfigMapProjection`]: { "x-kubernetes-map-type": "atomic" },
  [`${CORE}.SecretProjection`]: { "x-kubernetes-map-type": "atomic" },
};

/** Field names that are int64 in Go wherever they occur (the declarations only say `number`). */
export const INT64_FIELDS = new Set([
  "activeDeadlineSeconds",
  "deletionGracePeriodSeconds",
  "expirationSeconds",
  "fsGroup",
  "generation",
  "gracePeriodSeconds",
  "maxItems",
  "maxLength",
  "maxProperties",
  "minItems",
  "minLength",
  "minProperties",
  "observedGeneration",
  "remainingItemCount",
  "revision",
  "runAsGroup",
  "runAsUser",
  "sizeBytes",
  "startingDeadlineSeconds",
  "supplementalGroups",
  "terminationGracePeriodSeconds",
  "tolerationSeconds",
]);

/** "schema.field" entries named in INT64_FIELDS that are int32 in Go. */
export const INT32_EXCEPTIONS = new Set([
  "io.k8s.api.certificates.v1.CertificateSigningRequestSpec.expirationSeconds",
]);

/** "schema.field" entries that are float64 in Go. */
export const DOUBLE_FIELDS = new Set([
  "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps.maximum",
  "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps.minimum",
  "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps.multipleOf",
]);
