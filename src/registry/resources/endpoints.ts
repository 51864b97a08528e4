// core/v1 endpoints: subsets of IP addresses and ports (the endpoints controller writes them); the table shows
// the first three ip:port pairs.
import type { Endpoints } from "kubernetes-types/core/v1.js";
import type { ResourceDef } from "../types.js";
import { invalid, notSupported, required, type FieldError } from "../../api/validation/field.js";
import { check, isValidIP, isValidPortName, isValidPortNum } from "../../api/validation/names.js";
import { PROTOCOLS } from "../../api/validation/container.js";
import { AGE_COLUMN, NAME_COLUMN, age, as, col } from "./common.js";

/** The table lists this many endpoints, then "+ N more...". */
const SHOWN = 3;

function validate(ep: Endpoints): FieldError[] {
  const errs: FieldError[] = [];
  (ep.subsets ?? []).forEach((s, i) => {
    const f = `subsets[${i}]`;
    if ((s.addresses ?? []).length === 0 && (s.notReadyAddresses ?? []).length === 0) {
      errs.push(required(f, "must specify `addresses` or `notReadyAddresses`"));
    }
    for (const [key, list] of [["addresses", s.addresses], ["notReadyAddresses", s.notReadyAddresses]] as const) {
      (list ?? []).forEach((a, j) => errs.push(...check(a.ip, `${f}.${key}[${j}].ip`, isValidIP)));
    }
    (s.ports ?? []).forEach((p, j) => {
      const pf = `${f}.ports[${j}]`;
      if ((s.ports ?? []).length > 1 && !p.name) errs.push(required(`${pf}.name`));
      if (p.name) errs.push(...check(p.name, `${pf}.name`, isValidPortName));
      for (const m of isValidPortNum(p.port)) errs.push(invalid(`${pf}.port`, p.port, m));
      if (!p.protocol) errs.push(required(`${pf}.protocol`));
      else if (!PROTOCOLS.includes(p.protocol)) errs.push(notSupported(`${pf}.protocol`, p.protocol, PROTOCOLS));
    });
  });
  return errs;
}

export function endpointsCell(ep: Endpoints): string {
  const all: string[] = [];
  for (const s of ep.subsets ?? []) {
    const ports = s.ports ?? [];
    for (const a of s.addresses ?? []) {
      if (ports.length === 0) all.push(a.ip);
      else for (const p of ports) all.push(`${a.ip}:${p.port}`);
    }
  }
  if (all.length === 0) return "<none>";
  const more = all.length > SHOWN ? ` + ${all.length - SHOWN} more...` : "";
  return all.slice(0, SHOWN).join(",") + more;
}

export const endpoints: ResourceDef = {
  group: "",
  kind: "Endpoints",
  resource: "endpoints",
  singular: "endpoints",
  namespaced: true,
  storageVersion: "v1",
  versions: [{ version: "v1" }],
  shortNames: ["ep"],
  strategy: {
    allowCreateOnUpdate: true,
    defaults(obj) {
      for (const s of as<Endpoints>(obj).subsets ?? []) for (const p of s.ports ?? []) p.protocol ??= "TCP";
    },
    validate: (obj) => validate(as<Endpoints>(obj)),
    validateUpdate: (obj) => validate(as<Endpoints>(obj)),
  },
  table: {
    columns: [NAME_COLUMN, col("Endpoints", "string", "Endpoints is the list of endpoints in this set."), AGE_COLUMN],
    cells: (obj, now) => [obj.metadata.name, endpointsCell(as<Endpoints>(obj)), age(obj, now)],
  },
};
