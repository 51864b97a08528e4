// discovery.k8s.io/v1 endpointslices: an address type fixed at creation, endpoints with addresses, named ports.
import type { EndpointSlice } from "kubernetes-types/discovery/v1.js";
import type { ResourceDef } from "../types.js";
import { immutable, invalid, notSupported, required, tooMany, type FieldError } from "../../api/validation/field.js";
import { check, isDNS1123Label, isDNS1123Subdomain, isValidIP, isValidPortNum } from "../../api/validation/names.js";
import { PROTOCOLS } from "../../api/validation/container.js";
import { AGE_COLUMN, NAME_COLUMN, age, as, col } from "./common.js";

const ADDRESS_TYPES = ["FQDN", "IPv4", "IPv6"];
/** Slices hold at most 1000 endpoints and 100 ports, so a slice stays small for watchers. */
const MAX_ENDPOINTS = 1000;
const MAX_PORTS = 100;
const SHOWN = 3;

function validate(s: EndpointSlice): FieldError[] {
  const errs: FieldError[] = [];
  if (!s.addressType) errs.push(required("addressType"));
  else if (!ADDRESS_TYPES.includes(s.addressType)) errs.push(notSupported("addressType", s.addressType, ADDRESS_TYPES));
  const eps = s.endpoints ?? [];
  if (eps.length > MAX_ENDPOINTS) errs.push(tooMany("endpoints", eps.length, MAX_ENDPOINTS));
  eps.forEach((e, i) => {
    const f = `endpoints[${i}]`;
    if ((e.addresses ?? []).length === 0) errs.push(required(`${f}.addresses`, "must contain at least 1 address"));
    (e.addresses ?? []).forEach((a, j) => {
      const af = `${f}.addresses[${j}]`;
      if (s.addressType === "FQDN") errs.push(...check(a, af, isDNS1123Subdomain));
      else errs.push(...check(a, af, isValidIP));
    });
    if (e.nodeName) errs.push(...check(e.nodeName, `${f}.nodeName`, isDNS1123Subdomain));
  });
  const ports = s.ports ?? [];
  if (ports.length > MAX_PORTS) errs.push(tooMany("ports", ports.length, MAX_PORTS));
  ports.forEach((p, i) => {
    const f = `ports[${i}]`;
    // Slice port names mirror service port names: DNS-1123 labels, not the 15-character IANA rule.
    if (p.name) errs.push(...check(p.name, `${f}.name`, isDNS1123Label));
    if (p.port !== undefined) for (const m of isValidPortNum(p.port)) errs.push(invalid(`${f}.port`, p.port, m));
    if (p.protocol && !PROTOCOLS.includes(p.protocol)) errs.push(notSupported(`${f}.protocol`, p.protocol, PROTOCOLS));
  });
  return errs;
}

function cells(s: EndpointSlice): [string, string] {
  const ports = (s.ports ?? []).map((p) => (p.port === undefined ? "" : String(p.port)));
  const addrs = (s.endpoints ?? []).flatMap((e) => e.addresses ?? []);
  const more = addrs.length > SHOWN ? ` + ${addrs.length - SHOWN} more...` : "";
  const portCell = ports.length === 0 ? "<unset>" : ports.length > SHOWN ? `${ports.slice(0, SHOWN).join(",")} + ${ports.length - SHOWN} more...` : ports.join(",");
  return [portCell, addrs.length === 0 ? "<unset>" : addrs.slice(0, SHOWN).join(",") + more];
}

export const endpointSlices: ResourceDef = {
  group: "discovery.k8s.io",
  kind: "EndpointSlice",
  resource: "endpointslices",
  singular: "endpointslice",
  namespaced: true,
  storageVersion: "v1",
  versions: [{ version: "v1" }],
  strategy: {
    defaults(obj) {
      for (const p of as<EndpointSlice>(obj).ports ?? []) {
        p.protocol ??= "TCP";
        p.name ??= "";
      }
    },
    validate: (obj) => validate(as<EndpointSlice>(obj)),
    validateUpdate: (obj, old) => [...validate(as<EndpointSlice>(obj)), ...immutable(as<EndpointSlice>(obj).addressType, as<EndpointSlice>(old).addressType, "addressType")],
  },
  table: {
    columns: [
      NAME_COLUMN,
      col("AddressType", "string", "The type of address carried by this EndpointSlice."),
      col("Ports", "string", "Ports provided by this EndpointSlice."),
      col("Endpoints", "string", "Endpoints represented by this EndpointSlice."),
      AGE_COLUMN,
    ],
    cells(obj, now) {
      const s = as<EndpointSlice>(obj);
      const [ports, eps] = cells(s);
      return [obj.metadata.name, s.addressType ?? "", ports, eps, age(obj, now)];
    },
  },
};
