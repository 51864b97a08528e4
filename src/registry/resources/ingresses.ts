// networking.k8s.io/v1 ingresses and ingressclasses: rules (hosts, typed paths, backends), TLS, the class.
import { deepClone } from "../../api/object.js";
import type { Ingress, IngressBackend, IngressClass } from "kubernetes-types/networking/v1.js";
import type { ResourceDef } from "../types.js";
import { forbidden, immutable, invalid, notSupported, required, type FieldError } from "../../api/validation/field.js";
import { check, isDNS1035Label, isDNS1123Subdomain, isValidPortNum, isValidPortName } from "../../api/validation/names.js";
import { AGE_COLUMN, NAME_COLUMN, age, as, col, resetForStatus } from "./common.js";

const PATH_TYPES = ["Exact", "ImplementationSpecific", "Prefix"];

function validateBackend(b: IngressBackend | undefined, field: string): FieldError[] {
  if (!b) return [required(field)];
  const errs: FieldError[] = [];
  if (b.service && b.resource) errs.push(invalid(field, "", "cannot set both resource and service backends"));
  if (!b.service && !b.resource) errs.push(invalid(field, "", "resource or service backend is required"));
  if (b.service) {
    if (!b.service.name) errs.push(required(`${field}.service.name`));
    else errs.push(...check(b.service.name, `${field}.service.name`, isDNS1035Label));
    const p = b.service.port;
    if (!p || (p.name === undefined && p.number === undefined)) errs.push(required(`${field}.service.port`, "port name or number is required"));
    else if (p.name !== undefined && p.number !== undefined) errs.push(invalid(`${field}.service.port`, p, "cannot set both port name & port number"));
    else if (p.name !== undefined) errs.push(...check(p.name, `${field}.service.port.name`, isValidPortName));
    else for (const m of isValidPortNum(p.number!)) errs.push(invalid(`${field}.service.port.number`, p.number, m));
  }
  if (b.resource) {
    if (!b.resource.kind) errs.push(required(`${field}.resource.kind`));
    if (!b.resource.name) errs.push(required(`${field}.resource.name`));
  }
  return errs;
}

function validateHost(host: string, field: string): FieldError[] {
  // A leading "*." wildcard stands for exactly one DNS label.
  const h = host.startsWith("*.") ? host.slice(2) : host;
  if (host.includes(":")) return [invalid(field, host, "must be a DNS name, not an IP address")];
  return check(h, field, isDNS1123Subdomain);
}

function validateIngress(ing: Ingress): FieldError[] {
  const spec = ing.spec ?? {};
  const errs: FieldError[] = [];
  if (!spec.defaultBackend && (spec.rules ?? []).length === 0) errs.push(invalid("spec.rules", [], "either `defaultBackend` or `rules` must be specified"));
  if (spec.defaultBackend) errs.push(...validateBackend(spec.defaultBackend, "spec.defaultBackend"));
  if (spec.ingressClassName) errs.push(...check(spec.ingressClassName, "spec.ingressClassName", isDNS1123Subdomain));
  (spec.rules ?? []).forEach((r, i) => {
    const f = `spec.rules[${i}]`;
    if (r.host) errs.push(...validateHost(r.host, `${f}.host`));
    if (!r.http) return;
    if ((r.http.paths ?? []).length === 0) errs.push(required(`${f}.http.paths`));
    r.http.paths.forEach((p, j) => {
      const pf = `${f}.http.paths[${j}]`;
      if (!p.pathType) errs.push(required(`${pf}.pathType`, "pathType must be specified"));
      else if (!PATH_TYPES.includes(p.pathType)) errs.push(notSupported(`${pf}.pathType`, p.pathType, PATH_TYPES));
      if (p.pathType !== "ImplementationSpecific" && (!p.path || !p.path.startsWith("/"))) errs.push(invalid(`${pf}.path`, p.path ?? "", "must be an absolute path"));
      if (p.path && p.pathType !== "ImplementationSpecific" && /\/\/|\/\.\.?(\/|$)/.test(p.path)) errs.push(invalid(`${pf}.path`, p.path, "must not contain '//', '/./' or '/../'"));
      errs.push(...validateBackend(p.backend, `${pf}.backend`));
    });
  });
  (spec.tls ?? []).forEach((t, i) => {
    (t.hosts ?? []).forEach((h, j) => errs.push(...validateHost(h, `spec.tls[${i}].hosts[${j}]`)));
  });
  return errs;
}

export const ingresses: ResourceDef = {
  group: "networking.k8s.io",
  kind: "Ingress",
  resource: "ingresses",
  singular: "ingress",
  namespaced: true,
  storageVersion: "v1",
  versions: [{ version: "v1" }],
  shortNames: ["ing"],
  status: true,
  strategy: {
    prepareForCreate(obj) {
      // A new object starts from an empty status (its zero-valued required fields included, as Kubernetes serializes it).
      obj.status = { loadBalancer: {} };
    },
    prepareForUpdate(obj, old) {
      obj.status = deepClone(old.status);
    },
    prepareForStatusUpdate: resetForStatus,
    validate: (obj) => validateIngress(as<Ingress>(obj)),
    validateUpdate: (obj) => validateIngress(as<Ingress>(obj)),
  },
  table: {
    columns: [
      NAME_COLUMN,
      col("Class", "string", "The name of the IngressClass resource that should be used for ingress class for this resource"),
      col("Hosts", "string", "Hosts that incoming requests are matched against before the ingress rule"),
      col("Address", "string", "Address is a list containing ingress points for the load-balancer"),
      col("Ports", "string", "Ports of TLS configurations that open"),
      AGE_COLUMN,
    ],
    cells(obj, now) {
      const ing = as<Ingress>(obj);
      const hosts = (ing.spec?.rules ?? []).map((r) => r.host).filter((h): h is string => !!h);
      const shown = hosts.length > 4 ? `${hosts.slice(0, 4).join(",")} + ${hosts.length - 4} more...` : hosts.join(",");
      const addrs = (ing.status?.loadBalancer?.ingress ?? []).map((i) => i.ip || i.hostname || "").filter((s) => s);
      return [obj.metadata.name, ing.spec?.ingressClassName ?? "<none>", shown || "*", addrs.join(","), (ing.spec?.tls ?? []).length > 0 ? "80, 443" : "80", age(obj, now)];
    },
  },
};

function validateClass(ic: IngressClass): FieldError[] {
  const errs: FieldError[] = [];
  const c = ic.spec?.controller;
  if (!c) errs.push(required("spec.controller"));
  else if (c.length > 250) errs.push({ type: "FieldValueTooLong", field: "spec.controller", detail: "may not be more than 250 bytes" });
  const p = ic.spec?.parameters;
  if (p) {
    if (!p.kind) errs.push(required("spec.parameters.kind"));
    if (!p.name) errs.push(required("spec.parameters.name"));
    if (p.scope && p.scope !== "Cluster" && p.scope !== "Namespace") errs.push(notSupported("spec.parameters.scope", p.scope, ["Cluster", "Namespace"]));
    if (p.scope === "Namespace" && !p.namespace) errs.push(required("spec.parameters.namespace", "`parameters.scope` is set to 'Namespace'"));
    if (p.scope === "Cluster" && p.namespace) errs.push(forbidden("spec.parameters.namespace", "`parameters.scope` is set to 'Cluster'"));
  }
  return errs;
}

export const ingressClasses: ResourceDef = {
  group: "networking.k8s.io",
  kind: "IngressClass",
  resource: "ingressclasses",
  singular: "ingressclass",
  namespaced: false,
  storageVersion: "v1",
  versions: [{ version: "v1" }],
  strategy: {
    defaults(obj) {
      const p = as<IngressClass>(obj).spec?.parameters;
      if (p) p.scope ??= "Cluster";
    },
    validate: (obj) => validateClass(as<IngressClass>(obj)),
    validateUpdate: (obj, old) => [...validateClass(as<IngressClass>(obj)), ...immutable(as<IngressClass>(obj).spec?.controller, as<IngressClass>(old).spec?.controller, "spec.controller")],
  },
  table: {
    columns: [NAME_COLUMN, col("Controller", "string", "Controller that is responsible for handling this class"), col("Parameters", "string", "A reference to a resource with additional parameters"), AGE_COLUMN],
    cells(obj, now) {
      const ic = as<IngressClass>(obj);
      const p = ic.spec?.parameters;
      const params = p ? `${p.kind}.${p.apiGroup ?? ""}/${p.name}` : "<none>";
      return [obj.metadata.name, ic.spec?.controller ?? "", params, age(obj, now)];
    },
  },
};
