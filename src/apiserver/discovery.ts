// Discovery documents built from the registry's resource definitions: legacy (/api, /api/v1, /apis, /apis/G,
// /apis/G/V) and aggregated (apidiscovery.k8s.io v2 and v2beta1, one document for /api and one for /apis).
import type { ResourceDef } from "../registry/types.js";

const ALL_VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

interface SubresourceInfo {
  subresource: string;
  group: string;
  version: string;
  kind: string;
  verbs: string[];
}

/** Subresources served for particular resources beyond status and scale (handled generically). */
const EXTRA_SUBRESOURCES: Record<string, Omit<SubresourceInfo, "version">[]> = {
  "/pods": [
    { subresource: "attach", group: "", kind: "PodAttachOptions", verbs: ["create", "get"] },
    { subresource: "binding", group: "", kind: "Binding", verbs: ["create"] },
    { subresource: "eviction", group: "policy", kind: "Eviction", verbs: ["create"] },
    { subresource: "exec", group: "", kind: "PodExecOptions", verbs: ["create", "get"] },
    { subresource: "log", group: "", kind: "Pod", verbs: ["get"] },
    { subresource: "portforward", group: "", kind: "PodPortForwardOptions", verbs: ["create", "get"] },
  ],
  "/namespaces": [{ subresource: "finalize", group: "", kind: "Namespace", verbs: ["update"] }],
};

export function subresourcesOf(def: ResourceDef, version: string): SubresourceInfo[] {
  const out: SubresourceInfo[] = [];
  for (const e of EXTRA_SUBRESOURCES[`${def.group}/${def.resource}`] ?? []) {
    out.push({ ...e, version: e.group === "policy" ? "v1" : version });
  }
  if (def.scale) out.push({ subresource: "scale", group: "autoscaling", version: "v1", kind: "Scale", verbs: ["get", "patch", "update"] });
  if (def.status) out.push({ subresource: "status", group: def.group, version, kind: def.kind, verbs: ["get", "patch", "update"] });
  return out.sort((a, b) => a.subresource.localeCompare(b.subresource));
}

/** Kubernetes' ordering of versions: GA before beta before alpha, higher numbers first, then others by name. */
export function compareVersions(a: string, b: string): number {
  const rank = (v: string): [number, number, number] | undefined => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return undefined;
    const stage = m[2] === undefined ? 3 : m[2] === "beta" ? 2 : 1;
    return [stage, Number(m[1]), m[3] === undefined ? 0 : Number(m[3])];
  };
  const ra = rank(a);
  const rb = rank(b);
  if (ra && rb) return rb[0] - ra[0] || rb[1] - ra[1] || rb[2] - ra[2];
  if (ra) return -1;
  if (rb) return 1;
  return a.localeCompare(b);
}

export interface GroupInfo {
  name: string;
  /** Most preferred first. */
  versions: string[];
}

export function groupsOf(defs: ResourceDef[]): GroupInfo[] {
  const byGroup = new Map<string, Set<string>>();
  for (const d of defs) {
    const set = byGroup.get(d.group) ?? new Set<string>();
    for (const v of d.versions) set.add(v.version);
    byGroup.set(d.group, set);
  }
  return [...byGroup.entries()].map(([name, vs]) => ({ name, versions: [...vs].sort(compareVersions) }));
}

export function resourcesIn(defs: ResourceDef[], group: string, version: string): ResourceDef[] {
  return defs.filter((d) => d.group === group && d.versions.some((v) => v.version === version)).sort((a, b) => a.resource.localeCompare(b.resource));
}

function gv(group: string, version: string): string {
  return group ? `${group}/${version}` : version;
}

export function apiVersions(defs: ResourceDef[], serverAddress: string): Record<string, unknown> {
  const core = groupsOf(defs).find((g) => g.name === "");
  return {
    kind: "APIVersions",
    versions: core ? core.versions : ["v1"],
    serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress }],
  };
}

function apiGroup(g: GroupInfo): Record<string, unknown> {
  const versions = g.versions.map((v) => ({ groupVersion: gv(g.name, v), version: v }));
  return { name: g.name, versions, preferredVersion: versions[0] };
}

export function apiGroupList(defs: ResourceDef[]): Record<string, unknown> {
  const groups = groupsOf(defs).filter((g) => g.name !== "").sort((a, b) => a.name.localeCompare(b.name));
  return { kind: "APIGroupList", apiVersion: "v1", groups: groups.map(apiGroup) };
}

export function apiGroupDoc(defs: ResourceDef[], group: string): Record<string, unknown> | undefined {
  const g = groupsOf(defs).find((x) => x.name === group && group !== "");
  return g ? { kind: "APIGroup", apiVersion: "v1", ...apiGroup(g) } : undefined;
}

export function apiResourceList(defs: ResourceDef[], group: string, version: string): Record<string, unknown> | undefined {
  const list = resourcesIn(defs, group, version);
  if (list.length === 0) return undefined;
  const resources: Record<string, unknown>[] = [];
  for (const d of list) {
    resources.push({
      name: d.resource,
      singularName: d.singular,
      namespaced: d.namespaced,
      kind: d.kind,
      verbs: d.verbs ?? ALL_VERBS,
      ...(d.shortNames?.length ? { shortNames: d.shortNames } : {}),
      ...(d.categories?.length ? { categories: d.categories } : {}),
    });
    for (const s of subresourcesOf(d, version)) {
      resources.push({
        name: `${d.resource}/${s.subresource}`,
        singularName: "",
        namespaced: d.namespaced,
        ...(s.group !== group || s.version !== version ? { group: s.group, version: s.version } : {}),
        kind: s.kind,
        verbs: s.verbs,
      });
    }
  }
  return { kind: "APIResourceList", apiVersion: "v1", groupVersion: gv(group, version), resources };
}

function discoveryResource(d: ResourceDef, version: string): Record<string, unknown> {
  return {
    resource: d.resource,
    responseKind: { group: d.group, version, kind: d.kind },
    scope: d.namespaced ? "Namespaced" : "Cluster",
    singularResource: d.singular,
    verbs: d.verbs ?? ALL_VERBS,
    ...(d.shortNames?.length ? { shortNames: d.shortNames } : {}),
    ...(d.categories?.length ? { categories: d.categories } : {}),
    subresources: subresourcesOf(d, version).map((s) => ({
      subresource: s.subresource,
      responseKind: { group: s.group, version: s.version, kind: s.kind },
      verbs: s.verbs,
    })),
  };
}

/** The aggregated document: for /api (legacy, the core group only) or /apis (every named group). */
export function aggregatedDiscovery(defs: ResourceDef[], opts: { legacy: boolean; version: "v2" | "v2beta1" }): Record<string, unknown> {
  const groups = groupsOf(defs)
    .filter((g) => (opts.legacy ? g.name === "" : g.name !== ""))
    .sort((a, b) => a.name.localeCompare(b.name));
  return {
    kind: "APIGroupDiscoveryList",
    apiVersion: `apidiscovery.k8s.io/${opts.version}`,
    metadata: {},
    items: groups.map((g) => ({
      metadata: g.name ? { name: g.name } : {},
      versions: g.versions.map((v) => ({
        version: v,
        resources: resourcesIn(defs, g.name, v).map((d) => discoveryResource(d, v)),
        freshness: "Current",
      })),
    })),
  };
}

export function aggregatedContentType(version: "v2" | "v2beta1"): string {
  return `application/json;g=apidiscovery.k8s.io;v=${version};as=APIGroupDiscoveryList`;
}
