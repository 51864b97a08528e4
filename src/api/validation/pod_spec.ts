// Pod spec validation (ValidatePodSpec): containers across all lists, volumes, policies, scheduling fields.
import type { PodSpec, Toleration, Volume, Container } from "kubernetes-types/core/v1.js";
import { validateLabels } from "../../machinery/labels.js";
import { volumeSourceNames } from "../defaults/pod_spec.js";
import { duplicate, forbidden, invalid, nonnegative, notSupported, positive, required, type FieldError } from "./field.js";
import { check, isDNS1123Label, isDNS1123Subdomain, isQualifiedName } from "./names.js";
import { validateContainer, type ContainerKind } from "./container.js";

export const RESTART_POLICIES = ["Always", "OnFailure", "Never"];
const DNS_POLICIES = ["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"];
const TOLERATION_OPERATORS = ["Equal", "Exists"];
const TAINT_EFFECTS = ["NoSchedule", "PreferNoSchedule", "NoExecute"];
const HOST_PATH_TYPES = ["", "DirectoryOrCreate", "Directory", "FileOrCreate", "File", "Socket", "CharDevice", "BlockDevice"];

export interface PodSpecOptions {
  /** Restart policies the owner allows (jobs: OnFailure/Never; workloads: Always). Default: all three. */
  restartPolicies?: readonly string[];
}

export function validateVolumes(volumes: Volume[] | undefined, field: string): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  (volumes ?? []).forEach((v, i) => {
    const f = `${field}[${i}]`;
    if (!v.name) errs.push(required(`${f}.name`));
    else {
      errs.push(...check(v.name, `${f}.name`, isDNS1123Label));
      if (names.has(v.name)) errs.push(duplicate(`${f}.name`, v.name));
      names.add(v.name);
    }
    const sources = volumeSourceNames(v);
    if (sources.length === 0) errs.push(required(f, "must specify a volume type"));
    else if (sources.length > 1) errs.push(forbidden(`${f}.${sources[1]}`, "may not specify more than 1 volume type"));
    if (v.hostPath) {
      if (!v.hostPath.path) errs.push(required(`${f}.hostPath.path`));
      if (v.hostPath.type !== undefined && !HOST_PATH_TYPES.includes(v.hostPath.type)) errs.push(notSupported(`${f}.hostPath.type`, v.hostPath.type, HOST_PATH_TYPES));
    }
    if (v.persistentVolumeClaim && !v.persistentVolumeClaim.claimName) errs.push(required(`${f}.persistentVolumeClaim.claimName`));
    if (v.configMap && !v.configMap.name) errs.push(required(`${f}.configMap.name`));
    if (v.secret && !v.secret.secretName) errs.push(required(`${f}.secret.secretName`));
    for (const [src, mode] of [["secret", v.secret?.defaultMode], ["configMap", v.configMap?.defaultMode], ["downwardAPI", v.downwardAPI?.defaultMode], ["projected", v.projected?.defaultMode]] as const) {
      // File modes are 0000..0777.
      if (mode !== undefined && (mode < 0 || mode > 0o777)) errs.push(invalid(`${f}.${src}.defaultMode`, mode, "must be a number between 0 and 0777 (octal), both inclusive"));
    }
  });
  return errs;
}

export function validateTolerations(tolerations: Toleration[] | undefined, field: string): FieldError[] {
  const errs: FieldError[] = [];
  (tolerations ?? []).forEach((t, i) => {
    const f = `${field}[${i}]`;
    if (t.key) for (const m of isQualifiedName(t.key)) errs.push(invalid(`${f}.key`, t.key, m));
    if (!t.key && t.operator !== "Exists") errs.push(invalid(`${f}.operator`, t.operator, "operator must be Exists when `key` is empty, which means \"match all values and all keys\""));
    if (t.tolerationSeconds !== undefined && t.effect !== "NoExecute") {
      errs.push(invalid(`${f}.effect`, t.effect, "effect must be 'NoExecute' when `tolerationSeconds` is set"));
    }
    if (t.operator && !TOLERATION_OPERATORS.includes(t.operator)) errs.push(notSupported(`${f}.operator`, t.operator, TOLERATION_OPERATORS));
    if (t.operator === "Exists" && t.value) errs.push(invalid(`${f}.operator`, t.value, "value must be empty when `operator` is 'Exists'"));
    if (t.effect && !TAINT_EFFECTS.includes(t.effect)) errs.push(notSupported(`${f}.effect`, t.effect, TAINT_EFFECTS));
  });
  return errs;
}

/** Two containers of a pod cannot claim the same host port and protocol (AccumulateUniqueHostPorts). */
function validateHostPorts(spec: PodSpec, field: string): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  for (const [list, key] of [[spec.containers, "containers"], [spec.initContainers, "initContainers"]] as const) {
    (list ?? []).forEach((c, i) => (c.ports ?? []).forEach((p, j) => {
      if (!p.hostPort) return;
      const k = `${p.hostPort}/${p.protocol ?? "TCP"}`;
      if (seen.has(k)) errs.push(duplicate(`${field}.${key}[${i}].ports[${j}].hostPort`, k));
      seen.add(k);
    }));
  }
  return errs;
}

/** ValidatePodSpec. `field` is the spec's path ("spec" for pods, "spec.template.spec" for workloads). */
export function validatePodSpec(spec: PodSpec | undefined, field: string, opts: PodSpecOptions = {}): FieldError[] {
  if (!spec) return [required(field)];
  const errs: FieldError[] = [];
  errs.push(...validateVolumes(spec.volumes, `${field}.volumes`));
  const volumes = new Set((spec.volumes ?? []).map((v) => v.name));
  if (!spec.containers || spec.containers.length === 0) errs.push(required(`${field}.containers`));
  // Container names are unique across init, regular and ephemeral containers.
  const names = new Set<string>();
  const lists: [Container[] | undefined, string, ContainerKind][] = [
    [spec.initContainers, "initContainers", "init"],
    [spec.containers, "containers", "container"],
    [spec.ephemeralContainers as Container[] | undefined, "ephemeralContainers", "ephemeral"],
  ];
  for (const [list, key, kind] of lists) {
    (list ?? []).forEach((c, i) => {
      const f = `${field}.${key}[${i}]`;
      errs.push(...validateContainer(c, f, { volumes, kind }));
      if (c.name) {
        if (names.has(c.name)) errs.push(duplicate(`${f}.name`, c.name));
        names.add(c.name);
      }
    });
  }
  const allowed = opts.restartPolicies ?? RESTART_POLICIES;
  if (!spec.restartPolicy) errs.push(required(`${field}.restartPolicy`));
  else if (!allowed.includes(spec.restartPolicy)) errs.push(notSupported(`${field}.restartPolicy`, spec.restartPolicy, allowed));
  if (spec.dnsPolicy && !DNS_POLICIES.includes(spec.dnsPolicy)) errs.push(notSupported(`${field}.dnsPolicy`, spec.dnsPolicy, DNS_POLICIES));
  if (spec.dnsPolicy === "None" && !spec.dnsConfig) errs.push(required(`${field}.dnsConfig`, "must provide `dnsConfig` when `dnsPolicy` is None"));
  errs.push(...nonnegative(spec.terminationGracePeriodSeconds, `${field}.terminationGracePeriodSeconds`));
  if (spec.activeDeadlineSeconds !== undefined) {
    errs.push(...positive(spec.activeDeadlineSeconds, `${field}.activeDeadlineSeconds`));
  }
  errs.push(...validateLabels(spec.nodeSelector, `${field}.nodeSelector`));
  if (spec.serviceAccountName) errs.push(...check(spec.serviceAccountName, `${field}.serviceAccountName`, isDNS1123Subdomain));
  if (spec.nodeName) errs.push(...check(spec.nodeName, `${field}.nodeName`, isDNS1123Subdomain));
  if (spec.hostname) errs.push(...check(spec.hostname, `${field}.hostname`, isDNS1123Label));
  if (spec.subdomain) errs.push(...check(spec.subdomain, `${field}.subdomain`, isDNS1123Label));
  if (spec.priorityClassName) errs.push(...check(spec.priorityClassName, `${field}.priorityClassName`, isDNS1123Subdomain));
  errs.push(...validateTolerations(spec.tolerations, `${field}.tolerations`));
  if (spec.hostNetwork) {
    // With the host's network a container port is the host port: both must agree.
    for (const [list, key] of [[spec.containers, "containers"], [spec.initContainers, "initContainers"]] as const) {
      (list ?? []).forEach((c, i) => (c.ports ?? []).forEach((p, j) => {
        if (p.hostPort !== undefined && p.hostPort !== p.containerPort) {
          errs.push(invalid(`${field}.${key}[${i}].ports[${j}].hostPort`, p.hostPort, "must match `containerPort` when `hostNetwork` is true"));
        }
      }));
    }
  }
  errs.push(...validateHostPorts(spec, field));
  (spec.imagePullSecrets ?? []).forEach((s, i) => {
    if (!s.name) errs.push(required(`${field}.imagePullSecrets[${i}].name`));
  });
  return errs;
}
