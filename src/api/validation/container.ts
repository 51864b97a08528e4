// Container validation (ValidateContainers and its helpers): names, images, ports, env, mounts, probes, resources.
import type { Container, ContainerPort, EnvVar, Probe, VolumeMount, LifecycleHandler } from "kubernetes-types/core/v1.js";
import { duplicate, forbidden, invalid, nonnegative, notSupported, positive, required, type FieldError } from "./field.js";
import { check, isDNS1123Label, isEnvVarName, isValidPortName, isValidPortNum } from "./names.js";
import { validateResourceRequirements } from "./resources.js";

export const PROTOCOLS = ["SCTP", "TCP", "UDP"];
const PULL_POLICIES = ["Always", "IfNotPresent", "Never"];
const TERMINATION_MESSAGE_POLICIES = ["FallbackToLogsOnError", "File"];

export type ContainerKind = "container" | "init" | "ephemeral";

export interface ContainerContext {
  /** Names of the pod's volumes, for volumeMounts. */
  volumes: Set<string>;
  kind: ContainerKind;
}

export function validateContainerPorts(ports: ContainerPort[] | undefined, field: string): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  (ports ?? []).forEach((p, i) => {
    const f = `${field}[${i}]`;
    if (p.name) {
      errs.push(...check(p.name, `${f}.name`, isValidPortName));
      if (names.has(p.name)) errs.push(duplicate(`${f}.name`, p.name));
      names.add(p.name);
    }
    if (p.containerPort === undefined || p.containerPort === 0) errs.push(required(`${f}.containerPort`));
    else for (const m of isValidPortNum(p.containerPort)) errs.push(invalid(`${f}.containerPort`, p.containerPort, m));
    if (p.hostPort !== undefined && p.hostPort !== 0) {
      for (const m of isValidPortNum(p.hostPort)) errs.push(invalid(`${f}.hostPort`, p.hostPort, m));
    }
    if (!p.protocol) errs.push(required(`${f}.protocol`));
    else if (!PROTOCOLS.includes(p.protocol)) errs.push(notSupported(`${f}.protocol`, p.protocol, PROTOCOLS));
  });
  return errs;
}

export function validateEnv(env: EnvVar[] | undefined, field: string): FieldError[] {
  const errs: FieldError[] = [];
  (env ?? []).forEach((e, i) => {
    const f = `${field}[${i}]`;
    if (!e.name) errs.push(required(`${f}.name`));
    else errs.push(...check(e.name, `${f}.name`, isEnvVarName));
    if (e.valueFrom) {
      const vf = e.valueFrom;
      const n = [vf.fieldRef, vf.resourceFieldRef, vf.configMapKeyRef, vf.secretKeyRef].filter((x) => x !== undefined).length;
      if (e.value !== undefined && e.value !== "") errs.push(invalid(`${f}.valueFrom`, "", "may not be specified when `value` is not empty"));
      if (n === 0) errs.push(invalid(`${f}.valueFrom`, "", "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`"));
      else if (n > 1) errs.push(invalid(`${f}.valueFrom`, "", "may not have more than one field specified at a time"));
      if (vf.fieldRef && !vf.fieldRef.fieldPath) errs.push(required(`${f}.valueFrom.fieldRef.fieldPath`));
      if (vf.configMapKeyRef && !vf.configMapKeyRef.key) errs.push(required(`${f}.valueFrom.configMapKeyRef.key`));
      if (vf.secretKeyRef && !vf.secretKeyRef.key) errs.push(required(`${f}.valueFrom.secretKeyRef.key`));
      if (vf.resourceFieldRef && !vf.resourceFieldRef.resource) errs.push(required(`${f}.valueFrom.resourceFieldRef.resource`));
    }
  });
  return errs;
}

export function validateVolumeMounts(mounts: VolumeMount[] | undefined, volumes: Set<string>, field: string): FieldError[] {
  const errs: FieldError[] = [];
  const paths = new Set<string>();
  (mounts ?? []).forEach((m, i) => {
    const f = `${field}[${i}]`;
    if (!m.name) errs.push(required(`${f}.name`));
    else if (!volumes.has(m.name)) errs.push(invalid(`${f}.name`, m.name, "not found"));
    if (!m.mountPath) errs.push(required(`${f}.mountPath`));
    else {
      if (paths.has(m.mountPath)) errs.push(invalid(`${f}.mountPath`, m.mountPath, "must be unique"));
      paths.add(m.mountPath);
    }
    if (m.subPath && (m.subPath.startsWith("/") || m.subPath.split("/").includes(".."))) {
      errs.push(invalid(`${f}.subPath`, m.subPath, "must be a relative path without '..'"));
    }
  });
  return errs;
}

function validateHandler(h: LifecycleHandler | Probe, field: string, allowGrpc: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const set: string[] = [];
  if (h.exec) {
    set.push("exec");
    if (!h.exec.command || h.exec.command.length === 0) errs.push(required(`${field}.exec.command`));
  }
  if (h.httpGet) {
    set.push("httpGet");
    const port = h.httpGet.port;
    errs.push(...validatePortNumOrName(port, `${field}.httpGet.port`));
    if (h.httpGet.scheme && !["HTTP", "HTTPS"].includes(h.httpGet.scheme)) errs.push(notSupported(`${field}.httpGet.scheme`, h.httpGet.scheme, ["HTTP", "HTTPS"]));
  }
  if (h.tcpSocket) {
    set.push("tcpSocket");
    errs.push(...validatePortNumOrName(h.tcpSocket.port, `${field}.tcpSocket.port`));
  }
  if ("grpc" in h && h.grpc) {
    set.push("grpc");
    if (!allowGrpc) errs.push(forbidden(`${field}.grpc`, "may not specify a grpc handler"));
    else for (const m of isValidPortNum(h.grpc.port)) errs.push(invalid(`${field}.grpc.port`, h.grpc.port, m));
  }
  if ("sleep" in h && h.sleep) {
    set.push("sleep");
    if (!(h.sleep.seconds > 0)) errs.push(invalid(`${field}.sleep.seconds`, h.sleep.seconds, "must be greater than 0"));
  }
  if (set.length === 0) errs.push(required(field, "must specify a handler type"));
  else if (set.length > 1) errs.push(forbidden(`${field}.${set[1]}`, "may not specify more than 1 handler type"));
  return errs;
}

export function validatePortNumOrName(port: number | string | undefined, field: string): FieldError[] {
  if (port === undefined) return [required(field)];
  if (typeof port === "number") return isValidPortNum(port).map((m) => invalid(field, port, m));
  if (/^[0-9]+$/.test(port)) return isValidPortNum(Number(port)).map((m) => invalid(field, port, m));
  return isValidPortName(port).map((m) => invalid(field, port, m));
}

export function validateProbe(p: Probe | undefined, field: string, opts: { liveness: boolean }): FieldError[] {
  if (!p) return [];
  const errs = validateHandler(p, field, true);
  errs.push(...nonnegative(p.initialDelaySeconds, `${field}.initialDelaySeconds`));
  errs.push(...nonnegative(p.timeoutSeconds, `${field}.timeoutSeconds`));
  errs.push(...nonnegative(p.periodSeconds, `${field}.periodSeconds`));
  errs.push(...nonnegative(p.successThreshold, `${field}.successThreshold`));
  errs.push(...nonnegative(p.failureThreshold, `${field}.failureThreshold`));
  errs.push(...positive(p.terminationGracePeriodSeconds, `${field}.terminationGracePeriodSeconds`));
  if (opts.liveness && p.successThreshold !== undefined && p.successThreshold !== 1) {
    errs.push(invalid(`${field}.successThreshold`, p.successThreshold, "must be 1"));
  }
  return errs;
}

/** One container; names are checked for uniqueness by the caller (across all container lists). */
export function validateContainer(c: Container, field: string, ctx: ContainerContext): FieldError[] {
  const errs: FieldError[] = [];
  if (!c.name) errs.push(required(`${field}.name`));
  else errs.push(...check(c.name, `${field}.name`, isDNS1123Label));
  if (!c.image || c.image.trim() === "") errs.push(required(`${field}.image`));
  else if (c.image.trim() !== c.image) errs.push(invalid(`${field}.image`, c.image, "must not have leading or trailing whitespace"));
  if (c.imagePullPolicy && !PULL_POLICIES.includes(c.imagePullPolicy)) errs.push(notSupported(`${field}.imagePullPolicy`, c.imagePullPolicy, PULL_POLICIES));
  if (c.terminationMessagePolicy && !TERMINATION_MESSAGE_POLICIES.includes(c.terminationMessagePolicy)) {
    errs.push(notSupported(`${field}.terminationMessagePolicy`, c.terminationMessagePolicy, TERMINATION_MESSAGE_POLICIES));
  }
  errs.push(...validateContainerPorts(c.ports, `${field}.ports`));
  errs.push(...validateEnv(c.env, `${field}.env`));
  (c.envFrom ?? []).forEach((e, i) => {
    const n = (e.configMapRef ? 1 : 0) + (e.secretRef ? 1 : 0);
    if (n !== 1) errs.push(invalid(`${field}.envFrom[${i}]`, "", "must specify one of: `configMapRef` or `secretRef`"));
  });
  errs.push(...validateVolumeMounts(c.volumeMounts, ctx.volumes, `${field}.volumeMounts`));
  errs.push(...validateResourceRequirements(c.resources, `${field}.resources`));
  const sidecar = ctx.kind === "init" && c.restartPolicy === "Always";
  if (c.restartPolicy !== undefined) {
    if (ctx.kind !== "init") errs.push(forbidden(`${field}.restartPolicy`, "may not be set for non-init containers"));
    else if (c.restartPolicy !== "Always") errs.push(notSupported(`${field}.restartPolicy`, c.restartPolicy, ["Always"]));
  }
  if (ctx.kind === "container" || sidecar) {
    errs.push(...validateProbe(c.livenessProbe, `${field}.livenessProbe`, { liveness: true }));
    errs.push(...validateProbe(c.readinessProbe, `${field}.readinessProbe`, { liveness: false }));
    errs.push(...validateProbe(c.startupProbe, `${field}.startupProbe`, { liveness: true }));
    if (c.lifecycle?.postStart) errs.push(...validateHandler(c.lifecycle.postStart, `${field}.lifecycle.postStart`, false));
    if (c.lifecycle?.preStop) errs.push(...validateHandler(c.lifecycle.preStop, `${field}.lifecycle.preStop`, false));
  } else {
    const why = ctx.kind === "init" ? "may not be set for init containers without restartPolicy=Always" : "cannot be set for an Ephemeral Container";
    for (const k of ["livenessProbe", "readinessProbe", "startupProbe", "lifecycle"] as const) {
      if (c[k] !== undefined) errs.push(forbidden(`${field}.${k}`, why));
    }
  }
  return errs;
}
