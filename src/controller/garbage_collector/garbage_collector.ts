// The garbage collector, a client of the API like any controller. It watches every configured resource, keeps
// the owner -> dependents graph, and:
// - deletes dependents whose owners are all gone (background cascading deletion), after verifying each owner's
//   absence with a live GET matched by uid, because a cache can lag or an owner can be recreated under its name;
// - serves the "foregroundDeletion" finalizer: dependents are deleted first (those with blockOwnerDeletion hold the
//   owner), then the finalizer is removed and the owner goes;
// - serves the "orphan" finalizer: the owner's references are removed from its dependents, then the finalizer.
import type { KubeObject } from "../../api/object.js";
import type { Clock } from "../../client/clock.js";
import type { SharedInformerFactory } from "../../client/informer_factory.js";
import { unwrapTombstone } from "../../client/informer.js";
import { runWorkers } from "../../client/queue_worker.js";
import type { Client } from "../../client/rest_client.js";
import { apiVersionOf } from "../../client/resources.js";
import type { PropagationPolicy } from "../../client/types.js";
import { WorkQueue } from "../../client/workqueue.js";
import { isConflict } from "../../machinery/errors.js";
import type { Logger } from "../../util/log.js";
import { silentLogger } from "../../util/log.js";
import type { Controller } from "../types.js";
import { describe, Graph, type GraphNode } from "./graph.js";
import { FOREGROUND_FINALIZER, GraphBuilder, ORPHAN_FINALIZER } from "./graph_builder.js";
import { GcOperations, type KindedRef } from "./operations.js";

export interface GarbageCollectorOptions {
  client: Client;
  informers: SharedInformerFactory;
  /** Every resource whose objects may be owners or dependents (discovery supplies this later). */
  resources: KindedRef[];
  workers?: number;
  clock?: Clock;
  log?: Logger;
}

type OwnerState = "solid" | "dangling" | "waiting";

export class GarbageCollector implements Controller {
  readonly name = "garbage-collector";
  readonly graph = new Graph();
  private readonly attemptToDelete: WorkQueue<string>;
  private readonly attemptToOrphan: WorkQueue<string>;
  private readonly builder: GraphBuilder;
  private readonly ops: GcOperations;
  private readonly log: Logger;

  constructor(private readonly opts: GarbageCollectorOptions) {
    this.log = (opts.log ?? silentLogger).with({ controller: this.name });
    this.attemptToDelete = new WorkQueue({ name: "garbage_collector_attempt_to_delete", clock: opts.clock });
    this.attemptToOrphan = new WorkQueue({ name: "garbage_collector_attempt_to_orphan", clock: opts.clock });
    this.ops = new GcOperations(opts.client, opts.resources);
    this.builder = new GraphBuilder({
      graph: this.graph,
      attemptToDelete: this.attemptToDelete,
      attemptToOrphan: this.attemptToOrphan,
      isNamespaced: (apiVersion, kind) => this.ops.refFor(apiVersion, kind)?.namespaced,
      log: this.log,
    });
    for (const ref of opts.resources) {
      // List items may come without apiVersion/kind; the graph needs them to name owners.
      const typed = (o: KubeObject): KubeObject => ({ ...o, apiVersion: apiVersionOf(ref), kind: ref.kind });
      opts.informers.forResource(ref).addEventHandler({
        onAdd: (o) => this.builder.upsert(typed(o)),
        onUpdate: (_old, o) => this.builder.upsert(typed(o)),
        onDelete: (o) => this.builder.remove(unwrapTombstone(o)),
      });
    }
  }

  async run(signal: AbortSignal): Promise<void> {
    this.opts.informers.start(signal);
    if (!(await this.opts.informers.waitForCacheSync(signal))) return;
    this.log.info("caches synced, collecting garbage", { nodes: this.graph.size() });
    await Promise.all([
      runWorkers({ queue: this.attemptToDelete, sync: (uid) => this.attemptToDeleteItem(uid), workers: this.opts.workers ?? 2, log: this.log, signal }),
      runWorkers({ queue: this.attemptToOrphan, sync: (uid) => this.attemptToOrphanDependents(uid), workers: 1, log: this.log, signal }),
    ]);
  }

  private async ownerState(node: GraphNode, ref: { apiVersion: string; kind: string; name: string; uid: string }): Promise<OwnerState> {
    const ns = this.ops.refFor(ref.apiVersion, ref.kind)?.namespaced === false ? "" : node.identity.namespace;
    if (!this.ops.refFor(ref.apiVersion, ref.kind)) {
      // An owner of a kind we cannot read cannot be proven gone: keep the dependent.
      this.log.warn("owner of unknown kind, treating it as present", { dependent: describe(node.identity), owner: `${ref.apiVersion} ${ref.kind}` });
      return "solid";
    }
    const live = await this.ops.getLive({ ...ref, namespace: ns });
    if (!live) return "dangling";
    if (live.metadata?.deletionTimestamp && live.metadata.finalizers?.includes(FOREGROUND_FINALIZER)) return "waiting";
    return "solid";
  }

  /** Looks at one object: a virtual owner to verify, a foreground owner to finish, or a dependent to collect. */
  async attemptToDeleteItem(uid: string): Promise<void> {
    const node = this.graph.get(uid);
    if (!node) return;
    if (node.virtual) {
      if (!this.ops.refFor(node.identity.apiVersion, node.identity.kind)) return;
      const live = await this.ops.getLive(node.identity);
      if (!live) {
        this.log.info("owner does not exist, collecting its dependents", { owner: describe(node.identity) });
        this.builder.removeNode(uid);
      }
      return;
    }
    if (node.deletingDependents) return this.processDeletingDependents(node);
    if (node.owners.length === 0) return;
    const live = await this.ops.getLive(node.identity);
    if (!live || live.metadata?.deletionTimestamp) return;
    const refs = live.metadata?.ownerReferences ?? [];
    if (refs.length === 0) return;
    const states = await Promise.all(refs.map((r) => this.ownerState(node, r)));
    const solid = refs.filter((_, i) => states[i] === "solid");
    const waiting = refs.filter((_, i) => states[i] === "waiting");
    if (solid.length > 0) {
      if (solid.length === refs.length) return;
      // Keep the object for its live owners, but drop references to dead ones and stop blocking deleting ones.
      const kept = refs.filter((_, i) => states[i] !== "dangling").map((r) => (waiting.includes(r) ? { ...r, blockOwnerDeletion: false } : r));
      this.log.info("removing dangling owner references", { object: describe(node.identity) });
      await this.ops.setOwnerReferences(node.identity, kept, live.metadata!.resourceVersion!);
      return;
    }
    let policy: PropagationPolicy;
    if (waiting.length > 0) {
      // An owner waits in the foreground: if this object has dependents of its own they must go first too.
      policy = node.dependents.size > 0 ? "Foreground" : "Background";
    } else {
      const finalizers = live.metadata?.finalizers ?? [];
      policy = finalizers.includes(ORPHAN_FINALIZER) ? "Orphan" : finalizers.includes(FOREGROUND_FINALIZER) ? "Foreground" : "Background";
    }
    this.log.info("deleting object whose owners are gone", { object: describe(node.identity), policy });
    await this.ops.delete(node.identity, policy);
  }

  /** A foreground deletion: delete the blocking dependents; once none is left, remove the finalizer. */
  private async processDeletingDependents(node: GraphNode): Promise<void> {
    const blocking = node.blockingDependents();
    if (blocking.length === 0) {
      this.log.info("dependents deleted, removing the foregroundDeletion finalizer", { owner: describe(node.identity) });
      await this.ops.removeFinalizer(node.identity, FOREGROUND_FINALIZER);
      return;
    }
    for (const dep of blocking) if (!dep.deletingDependents) this.attemptToDelete.add(dep.identity.uid);
  }

  /** An orphaning deletion: remove the owner's references from its dependents, then the orphan finalizer. */
  async attemptToOrphanDependents(uid: string): Promise<void> {
    const owner = this.graph.get(uid);
    if (!owner) return;
    for (const dep of [...owner.dependents]) {
      for (let attempt = 0; ; attempt++) {
        const live = await this.ops.getLive(dep.identity);
        const refs = live?.metadata?.ownerReferences ?? [];
        if (!live || !refs.some((r) => r.uid === uid)) break;
        try {
          await this.ops.setOwnerReferences(dep.identity, refs.filter((r) => r.uid !== uid), live.metadata!.resourceVersion!);
          break;
        } catch (err) {
          // Another writer got there first: read again (a few times, then let the queue back off).
          if (!isConflict(err) || attempt >= 3) throw err;
        }
      }
    }
    this.log.info("dependents orphaned, removing the orphan finalizer", { owner: describe(owner.identity), dependents: owner.dependents.size });
    await this.ops.removeFinalizer(owner.identity, ORPHAN_FINALIZER);
  }
}
