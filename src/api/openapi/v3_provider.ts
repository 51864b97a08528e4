// /openapi/v3 over a live set of served resources: the index and each group-version document, rebuilt only when
// the resources of a group-version change (documents are cached by openapiV3Document).
import { openapiV3Document, openapiV3Index, type OpenAPIResource, type OpenAPIV3Document, type OpenAPIV3Index } from "./v3.js";

export interface GroupVersionResources {
  /** "" for the core API. */
  group: string;
  version: string;
  resources: OpenAPIResource[];
}

export interface OpenAPIV3Provider {
  index(): OpenAPIV3Index;
  /** `path` as in the index: "api/v1" or "apis/apps/v1" (a leading "/openapi/v3/" or "/" and a query are ignored).
   *  undefined when no such group-version is served. */
  document(path: string): OpenAPIV3Document | undefined;
  /** The hash the index currently advertises for `path` (servers answer a stale ?hash= with a redirect). */
  hash(path: string): string | undefined;
}

/** `served` is asked on every call, so resources added later (custom resources) show up. */
export function openapiV3Provider(served: () => GroupVersionResources[]): OpenAPIV3Provider {
  const documents = (): Map<string, OpenAPIV3Document> => {
    const out = new Map<string, OpenAPIV3Document>();
    for (const gv of served()) {
      out.set(apiVersion(gv), openapiV3Document({ group: gv.group, version: gv.version }, gv.resources));
    }
    return out;
  };
  const index = (): OpenAPIV3Index => {
    const docs = documents();
    return openapiV3Index([...docs.keys()], { documents: Object.fromEntries(docs) });
  };
  return {
    index,
    document(path) {
      const gv = groupVersionOfPath(path);
      return gv === undefined ? undefined : documents().get(gv);
    },
    hash(path) {
      const gv = groupVersionOfPath(path);
      if (gv === undefined) return undefined;
      const url = index().paths[gv.includes("/") ? `apis/${gv}` : `api/${gv}`]?.serverRelativeURL;
      return url ? new URL(url, "http://x").searchParams.get("hash") ?? undefined : undefined;
    },
  };
}

function apiVersion(gv: { group: string; version: string }): string {
  return gv.group === "" ? gv.version : `${gv.group}/${gv.version}`;
}

/** "api/v1" -> "v1", "/openapi/v3/apis/apps/v1?hash=X" -> "apps/v1"; undefined for anything else. */
export function groupVersionOfPath(path: string): string | undefined {
  const p = path.replace(/[?#].*$/, "").replace(/^\/?(openapi\/v3\/)?/, "").replace(/\/$/, "");
  const core = /^api\/([^/]+)$/.exec(p);
  if (core) return core[1];
  const named = /^apis\/([^/]+)\/([^/]+)$/.exec(p);
  return named ? `${named[1]}/${named[2]}` : undefined;
}
