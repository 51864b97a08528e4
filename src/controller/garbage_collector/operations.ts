// The collector's API calls: live reads that check identity by uid, and guarded writes (uid preconditions on
// deletes, resourceVersion preconditions on patches) so it never acts on a newer object that reuses a name.
import type { OwnerReference } from "kubernetes-types/meta/v1.js";
import type { KubeObject } from "../../api/object.js";
import type { Client } from "../../client/rest_client.js";
import type { PropagationPolicy, ResourceClient, ResourceRef } from "../../client/types.js";
import { isNotFound } from "../../machinery/errors.js";
import type { ObjectIdentity } from "./graph.js";

export type KindedRef = ResourceRef & { kind: string };

function groupOf(apiVersion: string): string {
  const i = apiVersion.indexOf("/");
  return i < 0 ? "" : apiVersion.slice(0, i);
}

/**
 * Uids known to be gone. A uid is never reused, so absence is permanent: caching it saves one GET of the same
 * deleted owner per dependent when an owner with many dependents goes. Bounded, oldest forgotten first.
 */
class AbsentUids {
  private readonly uids = new Set<string>();
  constructor(private readonly max: number) {}
  has(uid: string): boolean {
    return this.uids.has(uid);
  }
  add(uid: string): void {
    this.uids.add(uid);
    if (this.uids.size > this.max) this.uids.delete(this.uids.values().next().value!);
  }
}

export class GcOperations {
  private readonly byKind = new Map<string, KindedRef>();
  private readonly absent = new AbsentUids(500);

  constructor(
    private readonly client: Client,
    resources: KindedRef[],
  ) {
    for (const r of resources) this.byKind.set(`${r.group}/${r.kind}`, r);
  }

  refFor(apiVersion: string, kind: string): KindedRef | undefined {
    return this.byKind.get(`${groupOf(apiVersion)}/${kind}`);
  }

  private resource(id: ObjectIdentity): ResourceClient | undefined {
    const ref = this.refFor(id.apiVersion, id.kind);
    return ref ? this.client.resource(ref) : undefined;
  }

  /**
   * The object as the API server has it now; undefined if absent or if the name now belongs to another uid.
   * Throws for kinds the collector does not know (it cannot prove such an owner is gone).
   */
  async getLive(id: ObjectIdentity): Promise<KubeObject | undefined> {
    const rc = this.resource(id);
    if (!rc) throw new Error(`garbage collector: no resource known for ${id.apiVersion} ${id.kind}`);
    if (this.absent.has(id.uid)) return undefined;
    try {
      const obj = await rc.get(id.namespace, id.name);
      if (obj.metadata?.uid === id.uid) return obj;
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    this.absent.add(id.uid);
    return undefined;
  }

  /** Deletes exactly this object (uid precondition); an object already gone is success. */
  async delete(id: ObjectIdentity, policy: PropagationPolicy): Promise<void> {
    try {
      await this.resource(id)!.delete(id.namespace, id.name, { propagationPolicy: policy, preconditions: { uid: id.uid } });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  /** Removes a finalizer with a resourceVersion-guarded merge patch; a conflict throws so the caller retries. */
  async removeFinalizer(id: ObjectIdentity, finalizer: string): Promise<void> {
    const live = await this.getLive(id);
    const finalizers = live?.metadata?.finalizers ?? [];
    if (!live || !finalizers.includes(finalizer)) return;
    await this.patchMeta(id, { finalizers: finalizers.filter((f) => f !== finalizer), resourceVersion: live.metadata!.resourceVersion });
  }

  /** Rewrites the ownerReferences of an object read at resourceVersion rv. */
  async setOwnerReferences(id: ObjectIdentity, refs: OwnerReference[], rv: string): Promise<void> {
    await this.patchMeta(id, { ownerReferences: refs.length ? refs : null, resourceVersion: rv });
  }

  private async patchMeta(id: ObjectIdentity, metadata: Record<string, unknown>): Promise<void> {
    try {
      await this.resource(id)!.patch(id.namespace, id.name, "merge", { metadata: { ...metadata, uid: id.uid } });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}
