// Hand-made schemas for machinery tests (patches, apply): a slice of Deployment/Pod with the same patch and
// list extensions the generated Kubernetes schemas carry. Not used outside tests.
import type { OpenAPISchema } from "./openapi_schema.js";

const ref = (name: string): OpenAPISchema => ({ $ref: `#/components/schemas/${name}` });
const mergeList = (item: string, key: string, extra = ""): OpenAPISchema => ({
  type: "array",
  items: ref(item),
  "x-kubernetes-patch-strategy": extra ? `merge,${extra}` : "merge",
  "x-kubernetes-patch-merge-key": key,
});
const str: OpenAPISchema = { type: "string" };

export const testSchemas: Record<string, OpenAPISchema> = {
  Deployment: {
    type: "object",
    properties: { apiVersion: str, kind: str, metadata: ref("ObjectMeta"), spec: ref("DeploymentSpec"), status: ref("DeploymentStatus") },
    "x-kubernetes-group-version-kind": [{ group: "apps", version: "v1", kind: "Deployment" }],
  },
  ObjectMeta: {
    type: "object",
    properties: {
      name: str,
      labels: { type: "object", additionalProperties: str },
      annotations: { type: "object", additionalProperties: str },
      finalizers: { type: "array", items: str, "x-kubernetes-patch-strategy": "merge", "x-kubernetes-list-type": "set" },
      ownerReferences: { ...mergeList("OwnerReference", "uid"), "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["uid"] },
    },
  },
  OwnerReference: { type: "object", properties: { uid: str, name: str, kind: str } },
  DeploymentStatus: { type: "object", properties: { replicas: { type: "integer" }, readyReplicas: { type: "integer" } } },
  LabelSelector: {
    type: "object",
    properties: { matchLabels: { type: "object", additionalProperties: str } },
    "x-kubernetes-map-type": "atomic",
  },
  DeploymentSpec: {
    type: "object",
    required: ["selector", "template"],
    properties: {
      replicas: { type: "integer" },
      selector: { allOf: [ref("LabelSelector")] },
      template: ref("PodTemplateSpec"),
      strategy: { allOf: [ref("DeploymentStrategy")], "x-kubernetes-patch-strategy": "retainKeys" },
    },
  },
  DeploymentStrategy: { type: "object", properties: { type: str, rollingUpdate: { type: "object", properties: { maxSurge: { "x-kubernetes-int-or-string": true } } } } },
  PodTemplateSpec: { type: "object", properties: { metadata: ref("ObjectMeta"), spec: ref("PodSpec") } },
  PodSpec: {
    type: "object",
    required: ["containers"],
    properties: {
      containers: { ...mergeList("Container", "name"), "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"] },
      initContainers: mergeList("Container", "name"),
      volumes: mergeList("Volume", "name", "retainKeys"),
      tolerations: { type: "array", items: { type: "object", properties: { key: str } } },
      nodeSelector: { type: "object", additionalProperties: str, "x-kubernetes-map-type": "atomic" },
      securityContext: { type: "object", properties: { runAsUser: { type: "integer" } }, "x-kubernetes-patch-strategy": "replace" },
    },
  },
  Container: {
    type: "object",
    properties: {
      name: str,
      image: str,
      securityContext: { type: "object", properties: { runAsUser: { type: "integer" } } },
      args: { type: "array", items: str, "x-kubernetes-list-type": "atomic" },
      env: { ...mergeList("EnvVar", "name"), "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"] },
      ports: { ...mergeList("ContainerPort", "containerPort"), "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["containerPort", "protocol"] },
    },
  },
  EnvVar: { type: "object", properties: { name: str, value: str } },
  ContainerPort: { type: "object", properties: { containerPort: { type: "integer" }, name: str, protocol: str } },
  Volume: { type: "object", properties: { name: str, emptyDir: { type: "object" }, configMap: { type: "object" } } },
};

