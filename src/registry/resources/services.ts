// core/v1 services: defaults, validation (ports, types, cluster IPs), allocated values kept across updates, and
// the `kubectl get svc` table. Cluster IPs and node ports are allocated by the write hooks in ../service_alloc/.
import type { Service, ServicePort, ServiceSpec } from "kubernetes-types/core/v1.js";
import { deepClone, type StoredObject } from "../../api/object.js";
import type { ResourceDef } from "../types.js";
import { defaultServiceSpec } from "../../api/defaults/service.js";
import { validateLabels } from "../../machinery/labels.js";
import { duplicate, forbidden, invalid, notSupported, required, type FieldError } from "../../api/validation/field.js";
import { check, isDNS1035Label, isDNS1123Label, isDNS1123Subdomain, isValidIP, isValidPortNum } from "../../api/validation/names.js";
import { PROTOCOLS, validatePortNumOrName } from "../../api/validation/container.js";
import { serviceWriteHooks } from "../service_alloc/service_allocator.js";
import { ALL, AGE_COLUMN, NAME_COLUMN, age, as, col, mapSelectorCell, resetForStatus } from "./common.js";

const TYPES = ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"];
const AFFINITIES = ["ClientIP", "None"];
const TRAFFIC_POLICIES = ["Cluster", "Local"];
const IP_FAMILY_POLICIES = ["PreferDualStack", "RequireDualStack", "SingleStack"];
/** ClientIP affinity lasts at most a day. */
const MAX_AFFINITY_SECONDS = 86400;

function hasClusterIP(spec: ServiceSpec): boolean {
  return spec.type !== "ExternalName";
}

function validatePorts(spec: ServiceSpec): FieldError[] {
  const errs: FieldError[] = [];
  const ports = spec.ports ?? [];
  const headless = spec.clusterIP === "None";
  if (ports.length === 0 && spec.type !== "ExternalName" && !headless) errs.push(required("spec.ports"));
  const names = new Set<string>();
  const keys = new Set<string>();
  const nodePorts = new Set<string>();
  ports.forEach((p: ServicePort, i) => {
    const f = `spec.ports[${i}]`;
    if (ports.length > 1 && !p.name) errs.push(required(`${f}.name`));
    if (p.name) {
      // Service port names are DNS-1123 labels ("80-8080" is fine); the IANA rule is for container ports.
      errs.push(...check(p.name, `${f}.name`, isDNS1123Label));
      if (names.has(p.name)) errs.push(duplicate(`${f}.name`, p.name));
      names.add(p.name);
    }
    for (const m of isValidPortNum(p.port)) errs.push(invalid(`${f}.port`, p.port, m));
    if (!p.protocol) errs.push(required(`${f}.protocol`));
    else if (!PROTOCOLS.includes(p.protocol)) errs.push(notSupported(`${f}.protocol`, p.protocol, PROTOCOLS));
    const key = `${p.port}/${p.protocol}`;
    if (keys.has(key)) errs.push(duplicate(f, { port: p.port, protocol: p.protocol }));
    keys.add(key);
    if (p.targetPort !== undefined) errs.push(...validatePortNumOrName(p.targetPort, `${f}.targetPort`));
    if (p.nodePort !== undefined && p.nodePort !== 0) {
      if (spec.type !== "NodePort" && spec.type !== "LoadBalancer") errs.push(forbidden(`${f}.nodePort`, "may not be used when `type` is 'ClusterIP'"));
      else for (const m of isValidPortNum(p.nodePort)) errs.push(invalid(`${f}.nodePort`, p.nodePort, m));
      const nk = `${p.nodePort}/${p.protocol}`;
      if (nodePorts.has(nk)) errs.push(duplicate(`${f}.nodePort`, p.nodePort));
      nodePorts.add(nk);
    }
  });
  return errs;
}

export function validateServiceSpec(spec: ServiceSpec | undefined): FieldError[] {
  if (!spec) return [required("spec")];
  const errs: FieldError[] = [];
  if (!spec.type || !TYPES.includes(spec.type)) errs.push(notSupported("spec.type", spec.type, TYPES));
  if (spec.type === "ExternalName") {
    if (!spec.externalName) errs.push(required("spec.externalName"));
    else errs.push(...check(spec.externalName.replace(/\.$/, ""), "spec.externalName", isDNS1123Subdomain));
    if (spec.clusterIP && spec.clusterIP !== "") errs.push(forbidden("spec.clusterIP", "may not be set for ExternalName services"));
  }
  if (spec.clusterIP && spec.clusterIP !== "None") errs.push(...check(spec.clusterIP, "spec.clusterIP", isValidIP));
  (spec.clusterIPs ?? []).forEach((ip, i) => {
    if (ip !== "None") errs.push(...check(ip, `spec.clusterIPs[${i}]`, isValidIP));
  });
  if (spec.clusterIPs?.length && spec.clusterIP && spec.clusterIPs[0] !== spec.clusterIP) {
    errs.push(invalid("spec.clusterIPs", spec.clusterIPs, "element [0] must match clusterIP"));
  }
  if (spec.clusterIP === "None" && (spec.type === "NodePort" || spec.type === "LoadBalancer")) {
    errs.push(invalid("spec.clusterIPs[0]", "None", `may not be set to 'None' for ${spec.type} services`));
  }
  errs.push(...validatePorts(spec));
  errs.push(...validateLabels(spec.selector, "spec.selector"));
  if (spec.sessionAffinity && !AFFINITIES.includes(spec.sessionAffinity)) errs.push(notSupported("spec.sessionAffinity", spec.sessionAffinity, AFFINITIES));
  const t = spec.sessionAffinityConfig?.clientIP?.timeoutSeconds;
  if (t !== undefined && (t <= 0 || t > MAX_AFFINITY_SECONDS)) errs.push(invalid("spec.sessionAffinityConfig.clientIP.timeoutSeconds", t, `must be greater than 0 and less than ${MAX_AFFINITY_SECONDS}`));
  if (spec.externalTrafficPolicy && !TRAFFIC_POLICIES.includes(spec.externalTrafficPolicy)) errs.push(notSupported("spec.externalTrafficPolicy", spec.externalTrafficPolicy, TRAFFIC_POLICIES));
  if (spec.externalTrafficPolicy && spec.type !== "NodePort" && spec.type !== "LoadBalancer") {
    errs.push(invalid("spec.externalTrafficPolicy", spec.externalTrafficPolicy, "may only be set when `type` is 'NodePort' or 'LoadBalancer'"));
  }
  if (spec.internalTrafficPolicy && !TRAFFIC_POLICIES.includes(spec.internalTrafficPolicy)) errs.push(notSupported("spec.internalTrafficPolicy", spec.internalTrafficPolicy, TRAFFIC_POLICIES));
  if (spec.ipFamilyPolicy && !IP_FAMILY_POLICIES.includes(spec.ipFamilyPolicy)) errs.push(notSupported("spec.ipFamilyPolicy", spec.ipFamilyPolicy, IP_FAMILY_POLICIES));
  (spec.externalIPs ?? []).forEach((ip, i) => errs.push(...check(ip, `spec.externalIPs[${i}]`, isValidIP)));
  return errs;
}

function validateService(obj: StoredObject): FieldError[] {
  return validateServiceSpec(as<Service>(obj).spec);
}

const NEEDS_NODE_PORTS = ["NodePort", "LoadBalancer"];

/** A type change drops what the new type cannot have: node ports below NodePort, cluster IPs for ExternalName. */
function dropForTypeChange(spec: ServiceSpec, old: ServiceSpec): void {
  if (!NEEDS_NODE_PORTS.includes(spec.type ?? "") && NEEDS_NODE_PORTS.includes(old.type ?? "")) {
    for (const p of spec.ports ?? []) {
      if (p.nodePort !== undefined && (old.ports ?? []).some((q) => q.nodePort === p.nodePort)) delete p.nodePort;
    }
    delete spec.externalTrafficPolicy;
  }
  if (spec.type === "ExternalName" && old.type !== "ExternalName") {
    if (spec.clusterIP === old.clusterIP) delete spec.clusterIP;
    delete spec.clusterIPs;
    delete spec.ipFamilies;
    delete spec.ipFamilyPolicy;
    delete spec.internalTrafficPolicy;
  }
}

/** A PUT without the allocated values (kubectl replace of a hand-written manifest) keeps the ones allocated. */
function keepAllocated(spec: ServiceSpec, old: ServiceSpec): void {
  dropForTypeChange(spec, old);
  if (hasClusterIP(spec) && hasClusterIP(old) && !spec.clusterIP && old.clusterIP) {
    spec.clusterIP = old.clusterIP;
    spec.clusterIPs ??= old.clusterIPs;
  }
  if (hasClusterIP(spec) && !spec.clusterIPs && spec.clusterIP === old.clusterIP) spec.clusterIPs = old.clusterIPs;
  if (NEEDS_NODE_PORTS.includes(spec.type ?? "")) {
    for (const p of spec.ports ?? []) {
      if (p.nodePort) continue;
      // Defaults run after this: an omitted protocol is TCP.
      const o = (old.ports ?? []).find((q) => q.port === p.port && (q.protocol ?? "TCP") === (p.protocol ?? "TCP") && q.nodePort);
      if (o) p.nodePort = o.nodePort;
    }
  }
}

function validateServiceUpdate(obj: StoredObject, old: StoredObject): FieldError[] {
  const errs = validateService(obj);
  const n = as<Service>(obj).spec;
  const o = as<Service>(old).spec;
  if (n && o && hasClusterIP(n) && hasClusterIP(o) && o.clusterIP && n.clusterIP !== o.clusterIP) {
    errs.push(invalid("spec.clusterIPs[0]", n.clusterIPs ?? [n.clusterIP ?? ""], "may not change once set"));
  }
  return errs;
}

function portsCell(spec: ServiceSpec | undefined): string {
  const ports = spec?.ports ?? [];
  if (ports.length === 0) return "<none>";
  return ports.map((p) => (p.nodePort ? `${p.port}:${p.nodePort}/${p.protocol}` : `${p.port}/${p.protocol}`)).join(",");
}

function externalIPCell(svc: Service): string {
  const spec = svc.spec ?? {};
  const external = spec.externalIPs ?? [];
  switch (spec.type) {
    case "ExternalName":
      return spec.externalName ?? "<none>";
    case "LoadBalancer": {
      const lb = (svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip || i.hostname || "").filter((s) => s);
      const all = [...lb, ...external];
      return all.length > 0 ? all.join(",") : "<pending>";
    }
    default:
      return external.length > 0 ? external.join(",") : "<none>";
  }
}

export const services: ResourceDef = {
  group: "",
  kind: "Service",
  resource: "services",
  singular: "service",
  namespaced: true,
  storageVersion: "v1",
  versions: [{ version: "v1" }],
  shortNames: ["svc"],
  categories: ALL,
  status: true,
  writeHooks: serviceWriteHooks,
  strategy: {
    allowCreateOnUpdate: true,
    validateName: isDNS1035Label,
    defaults(obj) {
      const s = as<Service>(obj);
      if (s.spec) defaultServiceSpec(s.spec);
    },
    prepareForCreate(obj) {
      obj.status = { loadBalancer: {} };
    },
    prepareForUpdate(obj, old) {
      obj.status = deepClone(old.status);
      const n = as<Service>(obj).spec;
      const o = as<Service>(old).spec;
      if (n && o) keepAllocated(n, o);
    },
    prepareForStatusUpdate: resetForStatus,
    validate: validateService,
    validateUpdate: validateServiceUpdate,
    // kube-proxy and DNS use these to skip headless or ExternalName services.
    fieldAttrs: (obj) => ({ "spec.clusterIP": as<Service>(obj).spec?.clusterIP ?? "", "spec.type": as<Service>(obj).spec?.type ?? "" }),
  },
  table: {
    columns: [
      NAME_COLUMN,
      col("Type", "string", "type determines how the Service is exposed."),
      col("Cluster-IP", "string", "clusterIP is the IP address of the service and is usually assigned randomly."),
      col("External-IP", "string", "externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service."),
      col("Port(s)", "string", "The list of ports that are exposed by this service."),
      AGE_COLUMN,
      col("Selector", "string", "Route service traffic to pods with label keys and values matching this selector.", 1),
    ],
    cells(obj, now) {
      const s = as<Service>(obj);
      return [obj.metadata.name, s.spec?.type ?? "", s.spec?.clusterIP || "<none>", externalIPCell(s), portsCell(s.spec), age(obj, now), mapSelectorCell(s.spec?.selector)];
    },
  },
};
