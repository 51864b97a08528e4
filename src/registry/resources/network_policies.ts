// networking.k8s.io/v1 networkpolicies: pod selector, policy types (defaulted from the rules), peers and ports.
import type { NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort, NetworkPolicySpec } from "kubernetes-types/networking/v1.js";
import type { ResourceDef } from "../types.js";
import { invalid, notSupported, type FieldError } from "../../api/validation/field.js";
import { PROTOCOLS } from "../../api/validation/container.js";
import { validatePortNumOrName } from "../../api/validation/container.js";
import { isValidPortNum } from "../../api/validation/names.js";
import { formatLabelSelector, validateLabelSelector } from "../../machinery/labels.js";
import { AGE_COLUMN, NAME_COLUMN, age, as, col } from "./common.js";

const POLICY_TYPES = ["Egress", "Ingress"];
const CIDR_RE = /^[0-9a-fA-F:.]+\/[0-9]{1,3}$/;

function validatePorts(ports: NetworkPolicyPort[] | undefined, field: string): FieldError[] {
  const errs: FieldError[] = [];
  (ports ?? []).forEach((p, i) => {
    const f = `${field}[${i}]`;
    if (p.protocol && !PROTOCOLS.includes(p.protocol)) errs.push(notSupported(`${f}.protocol`, p.protocol, PROTOCOLS));
    if (p.port !== undefined) errs.push(...validatePortNumOrName(p.port, `${f}.port`));
    if (p.endPort !== undefined) {
      if (typeof p.port !== "number") errs.push(invalid(`${f}.endPort`, p.endPort, "may not be specified when `port` is non-numeric"));
      else if (p.endPort < p.port) errs.push(invalid(`${f}.endPort`, p.endPort, "must be greater than or equal to `port`"));
      for (const m of isValidPortNum(p.endPort)) errs.push(invalid(`${f}.endPort`, p.endPort, m));
    }
  });
  return errs;
}

function validatePeers(peers: NetworkPolicyPeer[] | undefined, field: string): FieldError[] {
  const errs: FieldError[] = [];
  (peers ?? []).forEach((p, i) => {
    const f = `${field}[${i}]`;
    const n = (p.podSelector || p.namespaceSelector ? 1 : 0) + (p.ipBlock ? 1 : 0);
    if (n !== 1) errs.push(invalid(f, p, "must specify a peer"));
    errs.push(...validateLabelSelector(p.podSelector, `${f}.podSelector`), ...validateLabelSelector(p.namespaceSelector, `${f}.namespaceSelector`));
    if (p.ipBlock) {
      if (!CIDR_RE.test(p.ipBlock.cidr)) errs.push(invalid(`${f}.ipBlock.cidr`, p.ipBlock.cidr, "must be a valid CIDR"));
      (p.ipBlock.except ?? []).forEach((e, j) => {
        if (!CIDR_RE.test(e)) errs.push(invalid(`${f}.ipBlock.except[${j}]`, e, "must be a valid CIDR"));
      });
    }
  });
  return errs;
}

function validate(np: NetworkPolicy): FieldError[] {
  const spec: NetworkPolicySpec = np.spec ?? { podSelector: {} };
  const errs = validateLabelSelector(spec.podSelector, "spec.podSelector");
  (spec.ingress ?? []).forEach((r, i) => errs.push(...validatePorts(r.ports, `spec.ingress[${i}].ports`), ...validatePeers(r.from, `spec.ingress[${i}].from`)));
  (spec.egress ?? []).forEach((r, i) => errs.push(...validatePorts(r.ports, `spec.egress[${i}].ports`), ...validatePeers(r.to, `spec.egress[${i}].to`)));
  for (const [i, t] of (spec.policyTypes ?? []).entries()) if (!POLICY_TYPES.includes(t)) errs.push(notSupported(`spec.policyTypes[${i}]`, t, POLICY_TYPES));
  return errs;
}

export const networkPolicies: ResourceDef = {
  group: "networking.k8s.io",
  kind: "NetworkPolicy",
  resource: "networkpolicies",
  singular: "networkpolicy",
  namespaced: true,
  storageVersion: "v1",
  versions: [{ version: "v1" }],
  shortNames: ["netpol"],
  strategy: {
    defaults(obj) {
      const np = as<NetworkPolicy>(obj);
      const spec = (np.spec ??= { podSelector: {} });
      spec.podSelector ??= {};
      for (const r of [...(spec.ingress ?? []), ...(spec.egress ?? [])]) for (const p of r.ports ?? []) p.protocol ??= "TCP";
      if (!spec.policyTypes || spec.policyTypes.length === 0) {
        spec.policyTypes = spec.egress && spec.egress.length > 0 ? ["Ingress", "Egress"] : ["Ingress"];
      }
    },
    validate: (obj) => validate(as<NetworkPolicy>(obj)),
    validateUpdate: (obj) => validate(as<NetworkPolicy>(obj)),
  },
  table: {
    columns: [NAME_COLUMN, col("Pod-Selector", "string", "Selects the pods to which this NetworkPolicy object applies."), AGE_COLUMN],
    cells: (obj, now) => [obj.metadata.name, formatLabelSelector(as<NetworkPolicy>(obj).spec?.podSelector), age(obj, now)],
  },
};
