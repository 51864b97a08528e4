// API groups served by a provider instead of the registry, as Kubernetes' aggregation layer hands a group to an
// APIService (metrics.k8s.io to metrics-server). The provider here is in-process and read-only: the API server
// keeps authentication, authorization and discovery, parses the path, and hands get and list requests over.
import type { IncomingMessage, ServerResponse } from "node:http";
import { errors } from "../machinery/errors.js";
import type { ResourceDef } from "../registry/types.js";
import { negotiate } from "./negotiation.js";
import type { ResourceRequestInfo } from "./request_info.js";
import { writeObject } from "./responses.js";

export interface ExtraResource {
  /** Plural, as in URLs ("pods"). */
  resource: string;
  kind: string;
  singular: string;
  namespaced: boolean;
  shortNames?: string[];
}

export interface ExtraGroupRequest {
  version: string;
  resource: string;
  /** Absent for cluster-scoped resources and for lists across all namespaces. */
  namespace?: string;
  /** Set for get, absent for list. */
  name?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

/**
 * A group served by a provider. Contract: get answers one object and list a `<Kind>List`, both JSON-ready; a
 * missing object or a provider not ready yet throws a StatusError (notFound, serviceUnavailable), which the server
 * sends as a Status. Only get and list exist: these groups are read-only views.
 */
export interface ExtraGroup {
  group: string;
  /** Served versions, most preferred first; every resource is served in each. */
  versions: string[];
  resources: ExtraResource[];
  get(req: ExtraGroupRequest): Promise<unknown>;
  list(req: ExtraGroupRequest): Promise<unknown>;
  /**
   * Optional: answers every GET of the group itself, for paths beyond resource[/name] (custom.metrics.k8s.io's
   * namespaces/NS/pods/{name or *}/METRIC); get and list are then unused. `resources` is read again for every
   * discovery request, so such a group may list what it currently serves (a getter).
   */
  serve?(req: ExtraGroupRequest & { subresource?: string; query: URLSearchParams }): Promise<unknown>;
}

const READ_VERBS = ["get", "list"];
const noValidation = { validate: () => [], validateUpdate: () => [] };

/** The groups' resources as definitions discovery can list next to the registry's. */
export function extraResourceDefs(groups: ExtraGroup[]): ResourceDef[] {
  return groups.flatMap((g) =>
    g.resources.map((r) => ({
      group: g.group,
      kind: r.kind,
      resource: r.resource,
      singular: r.singular,
      namespaced: r.namespaced,
      storageVersion: g.versions[0] ?? "v1",
      versions: g.versions.map((version) => ({ version })),
      verbs: READ_VERBS,
      ...(r.shortNames ? { shortNames: r.shortNames } : {}),
      strategy: noValidation,
    })),
  );
}

/** Answers one resource request of an extra group (already authenticated and authorized). */
export async function serveExtraGroup(group: ExtraGroup, req: IncomingMessage, res: ServerResponse, info: ResourceRequestInfo, query: URLSearchParams): Promise<void> {
  if (group.serve) {
    if (!group.versions.includes(info.version)) throw errors.pathNotFound();
    if (info.verb !== "get" && info.verb !== "list") throw errors.methodNotAllowed(`${info.verb} is not supported on ${group.group}: the group is read-only (get)`);
    const body = await group.serve({
      version: info.version,
      resource: info.resource,
      namespace: info.namespace,
      name: info.name,
      subresource: info.subresource,
      labelSelector: query.get("labelSelector") ?? undefined,
      fieldSelector: query.get("fieldSelector") ?? undefined,
      query,
    });
    return writeObject(res, 200, body, { format: negotiate(req.headers.accept).format, pretty: query.get("pretty") === "true" });
  }
  const r = group.resources.find((x) => x.resource === info.resource);
  if (!r || !group.versions.includes(info.version) || info.subresource !== undefined) throw errors.pathNotFound();
  if (!r.namespaced && info.namespace !== undefined) throw errors.pathNotFound();
  if (info.verb !== "get" && info.verb !== "list") {
    throw errors.methodNotAllowed(`${info.verb} is not supported on ${r.resource}.${group.group}: the resource is read-only (get, list)`);
  }
  const request: ExtraGroupRequest = {
    version: info.version,
    resource: r.resource,
    namespace: info.namespace,
    name: info.name,
    labelSelector: query.get("labelSelector") ?? undefined,
    fieldSelector: query.get("fieldSelector") ?? undefined,
  };
  if (r.namespaced && info.name !== undefined && info.namespace === undefined) throw errors.pathNotFound();
  const body = info.verb === "get" ? await group.get(request) : await group.list(request);
  // JSON for everything (kubectl top asks protobuf first and accepts JSON); YAML when asked for.
  writeObject(res, 200, body, { format: negotiate(req.headers.accept).format, pretty: query.get("pretty") === "true" });
}
