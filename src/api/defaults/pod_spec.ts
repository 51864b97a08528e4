// Pod spec defaulting as Kubernetes' core/v1 SetDefaults_* functions apply it: to pods and to every pod template
// (deployments, jobs, ...). Defaults only fill what is absent; they never overwrite a value the user set.
import type { Container, EphemeralContainer, PodSpec, Probe, Volume, EnvVar } from "kubernetes-types/core/v1.js";

/** Mode 0644: the file mode Kubernetes gives projected secret/config files unless told otherwise. */
const DEFAULT_FILE_MODE = 0o644;
const DEFAULT_TERMINATION_GRACE_SECONDS = 30;

export function defaultPodSpec(spec: PodSpec): void {
  spec.dnsPolicy ??= "ClusterFirst";
  spec.restartPolicy ??= "Always";
  spec.terminationGracePeriodSeconds ??= DEFAULT_TERMINATION_GRACE_SECONDS;
  spec.securityContext ??= {};
  spec.schedulerName ??= "default-scheduler";
  spec.enableServiceLinks ??= true;
  // The deprecated serviceAccount mirrors serviceAccountName (conversion keeps them in step).
  if (spec.serviceAccountName === undefined && spec.serviceAccount) spec.serviceAccountName = spec.serviceAccount;
  if (spec.serviceAccountName !== undefined && spec.serviceAccount === undefined) spec.serviceAccount = spec.serviceAccountName;
  for (const c of spec.initContainers ?? []) defaultContainer(c, spec.hostNetwork === true);
  for (const c of spec.containers ?? []) defaultContainer(c, spec.hostNetwork === true);
  for (const c of spec.ephemeralContainers ?? []) defaultContainer(c, false);
  for (const v of spec.volumes ?? []) defaultVolume(v);
}

/** imagePullPolicy: Always for an image without a tag or tagged :latest (and not pinned by digest). */
export function defaultPullPolicy(image: string | undefined): "Always" | "IfNotPresent" {
  if (!image) return "IfNotPresent";
  if (image.includes("@")) return "IfNotPresent";
  const lastSlash = image.lastIndexOf("/");
  const tagAt = image.indexOf(":", lastSlash + 1);
  if (tagAt < 0) return "Always";
  return image.slice(tagAt + 1) === "latest" ? "Always" : "IfNotPresent";
}

export function defaultContainer(c: Container | EphemeralContainer, hostNetwork: boolean): void {
  c.terminationMessagePath ??= "/dev/termination-log";
  c.terminationMessagePolicy ??= "File";
  c.imagePullPolicy ??= defaultPullPolicy(c.image);
  for (const p of c.ports ?? []) {
    p.protocol ??= "TCP";
    // With the host's network the container port is the host port.
    if (hostNetwork && p.hostPort === undefined) p.hostPort = p.containerPort;
  }
  for (const e of c.env ?? []) defaultEnvVar(e);
  if (c.resources?.limits) {
    // Requests default to limits for each resource only limited (SetDefaults_ResourceRequirements via the pod).
    const requests = (c.resources.requests ??= {});
    for (const [k, v] of Object.entries(c.resources.limits)) if (requests[k] === undefined) requests[k] = v;
  }
  if (c.livenessProbe) defaultProbe(c.livenessProbe);
  if (c.readinessProbe) defaultProbe(c.readinessProbe);
  if (c.startupProbe) defaultProbe(c.startupProbe);
  for (const h of [c.lifecycle?.postStart, c.lifecycle?.preStop]) {
    if (h?.httpGet) {
      h.httpGet.path ??= "/";
      h.httpGet.scheme ??= "HTTP";
    }
  }
}

function defaultEnvVar(e: EnvVar): void {
  if (e.valueFrom?.fieldRef) e.valueFrom.fieldRef.apiVersion ??= "v1";
}

export function defaultProbe(p: Probe): void {
  p.timeoutSeconds ??= 1;
  p.periodSeconds ??= 10;
  p.successThreshold ??= 1;
  p.failureThreshold ??= 3;
  if (p.httpGet) {
    p.httpGet.path ??= "/";
    p.httpGet.scheme ??= "HTTP";
  }
  if (p.grpc) p.grpc.service ??= "";
}

const VOLUME_SOURCES = [
  "hostPath", "emptyDir", "gcePersistentDisk", "awsElasticBlockStore", "gitRepo", "secret", "nfs", "iscsi", "glusterfs",
  "persistentVolumeClaim", "rbd", "flexVolume", "cinder", "cephfs", "flocker", "downwardAPI", "fc", "azureFile",
  "configMap", "vsphereVolume", "quobyte", "azureDisk", "photonPersistentDisk", "projected", "portworxVolume",
  "scaleIO", "storageos", "csi", "ephemeral", "image",
] as const;

export function volumeSourceNames(v: Volume): string[] {
  const r = v as unknown as Record<string, unknown>;
  return VOLUME_SOURCES.filter((k) => r[k] !== undefined && r[k] !== null);
}

export function defaultVolume(v: Volume): void {
  // A volume without a source is an emptyDir (SetDefaults_Volume).
  if (volumeSourceNames(v).length === 0) v.emptyDir = {};
  if (v.secret) v.secret.defaultMode ??= DEFAULT_FILE_MODE;
  if (v.configMap) v.configMap.defaultMode ??= DEFAULT_FILE_MODE;
  if (v.downwardAPI) {
    v.downwardAPI.defaultMode ??= DEFAULT_FILE_MODE;
    for (const i of v.downwardAPI.items ?? []) if (i.fieldRef) i.fieldRef.apiVersion ??= "v1";
  }
  if (v.projected) {
    v.projected.defaultMode ??= DEFAULT_FILE_MODE;
    for (const s of v.projected.sources ?? []) {
      if (s.serviceAccountToken) s.serviceAccountToken.expirationSeconds ??= 3600;
      for (const i of s.downwardAPI?.items ?? []) if (i.fieldRef) i.fieldRef.apiVersion ??= "v1";
    }
  }
  if (v.hostPath) v.hostPath.type ??= "";
  if (v.iscsi) v.iscsi.iscsiInterface ??= "default";
  if (v.azureDisk) {
    v.azureDisk.cachingMode ??= "ReadWrite";
    v.azureDisk.fsType ??= "ext4";
    v.azureDisk.readOnly ??= false;
    v.azureDisk.kind ??= "Shared";
  }
}
