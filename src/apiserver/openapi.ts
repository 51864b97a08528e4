// /openapi/v3 for the resources a registry serves: the discovery facts of each group-version handed to the
// OpenAPI document builder (src/api/openapi).
import { openapiV3Provider, type GroupVersionResources } from "../api/openapi/v3_provider.js";
import type { Registry } from "../registry/rest.js";
import { groupsOf, resourcesIn, subresourcesOf } from "./discovery.js";
import type { OpenAPIProvider } from "./server.js";

const ALL_VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

export function servedGroupVersions(registry: Registry): GroupVersionResources[] {
  const defs = registry.resources();
  const out: GroupVersionResources[] = [];
  for (const g of groupsOf(defs)) {
    for (const version of g.versions) {
      out.push({
        group: g.name,
        version,
        resources: resourcesIn(defs, g.name, version).map((d) => ({
          kind: d.kind,
          resource: d.resource,
          namespaced: d.namespaced,
          subresources: subresourcesOf(d, version).map((s) => s.subresource),
          verbs: d.verbs ?? ALL_VERBS,
        })),
      });
    }
  }
  return out;
}

export function registryOpenAPI(registry: Registry): OpenAPIProvider {
  const provider = openapiV3Provider(() => servedGroupVersions(registry));
  return { index: () => provider.index(), document: (path) => provider.document(path) };
}
