// The scale subresource of any kind that has one (Deployment, ReplicaSet, StatefulSet, ReplicationController,
// custom resources with scale): the reference's apiVersion and kind are mapped to a resource through discovery
// (/api/v1 or /apis/<group>/<version>), cached per group version.
import type { CrossVersionObjectReference } from "kubernetes-types/autoscaling/v2.js";
import type { Client } from "../../client/rest_client.js";
import { resourcePath } from "../../client/rest_client.js";
import type { ResourceRef } from "../../client/types.js";
import type { Scale, ScaleClient } from "./types.js";

interface ApiResourceList {
  resources: Array<{ name: string; kind: string; namespaced: boolean }>;
}

export class DiscoveryScaleClient implements ScaleClient {
  private readonly cache = new Map<string, ApiResourceList>();

  constructor(private readonly client: Client) {}

  private async resolve(ref: CrossVersionObjectReference, opts: { scale: boolean }): Promise<ResourceRef> {
    const apiVersion = ref.apiVersion ?? "";
    const [group, version] = apiVersion.includes("/") ? apiVersion.split("/", 2) : ["", apiVersion || "v1"];
    const key = `${group}/${version}`;
    let list = this.cache.get(key);
    if (!list) {
      list = await this.client.request<ApiResourceList>({ method: "GET", path: group ? `/apis/${group}/${version}` : `/api/${version}` });
      this.cache.set(key, list);
    }
    const names = new Set(list.resources.map((r) => r.name));
    const main = list.resources.find((r) => r.kind === ref.kind && !r.name.includes("/") && (!opts.scale || names.has(`${r.name}/scale`)));
    if (!main) {
      // The cache may predate a new custom resource: look once more next time.
      this.cache.delete(key);
      throw new Error(opts.scale ? `no scale subresource for kind ${ref.kind} in ${apiVersion || "v1"}` : `no resource of kind ${ref.kind} in ${apiVersion || "v1"}`);
    }
    return { group: group!, version: version!, resource: main.name, namespaced: main.namespaced };
  }

  /** The resource a reference names (group, version, plural) through discovery. */
  resourceOf(ref: CrossVersionObjectReference): Promise<ResourceRef> {
    return this.resolve(ref, { scale: false });
  }

  /** The API path of the object a reference names (for Object metrics). */
  async objectPath(namespace: string, ref: CrossVersionObjectReference): Promise<string> {
    return resourcePath(await this.resolve(ref, { scale: false }), namespace, ref.name);
  }

  async get(namespace: string, ref: CrossVersionObjectReference): Promise<Scale> {
    const r = await this.resolve(ref, { scale: true });
    return this.client.request<Scale>({ method: "GET", path: resourcePath(r, namespace, ref.name, "scale") });
  }

  async update(namespace: string, ref: CrossVersionObjectReference, scale: Scale): Promise<Scale> {
    const r = await this.resolve(ref, { scale: true });
    return this.client.request<Scale>({ method: "PUT", path: resourcePath(r, namespace, ref.name, "scale"), body: scale });
  }
}
