// The controller manager: one process running every controller over one shared informer factory, under
// Lease-based leader election ("kube-controller-manager" in kube-system) so several replicas can run for HA with
// exactly one acting. Each leadership term starts from scratch (fresh informers, queues and expectations); when
// a term ends (lease lost) the controllers stop before this candidate campaigns again, so two managers never act
// at once. The garbage collector and namespace controller learn which resources exist from API discovery.
import { setMaxListeners } from "node:events";
import { hostname } from "node:os";
import { randomUUID } from "node:crypto";
import type { Clock } from "../client/clock.js";
import { SharedInformerFactory } from "../client/informer_factory.js";
import { LeaderElector } from "../client/leader_election.js";
import type { Client } from "../client/rest_client.js";
import { resources as wellKnown } from "../client/resources.js";
import type { ResourceRef } from "../client/types.js";
import { withWorkQueueMetrics, type WorkQueueMetrics } from "../client/workqueue_metrics.js";
import type { Logger } from "../util/log.js";
import { silentLogger } from "../util/log.js";
import { CronJobController } from "./cronjob/cronjob_controller.js";
import { DaemonSetController } from "./daemonset/daemonset_controller.js";
import { DeploymentController } from "./deployment/deployment_controller.js";
import { DisruptionController, PDB_REF } from "./disruption/disruption_controller.js";
import { EndpointsController } from "./endpoint/endpoints_controller.js";
import { EndpointSliceController } from "./endpointslice/endpointslice_controller.js";
import { GarbageCollector } from "./garbage_collector/garbage_collector.js";
import { JobController } from "./job/job_controller.js";
import { NamespaceController } from "./namespace/namespace_controller.js";
import { NodeIpamController } from "./nodeipam/node_ipam_controller.js";
import { PodGcController } from "./podgc/pod_gc_controller.js";
import { HPA_REF, HorizontalPodAutoscalerController, type HpaControllerOptions } from "./podautoscaler/hpa_controller.js";
import { ReplicaSetController } from "./replicaset/replica_set_controller.js";
import { REPLICA_SET, REPLICATION_CONTROLLER } from "./replicaset/workload_kind.js";
import { StatefulSetController } from "./statefulset/statefulset_controller.js";
import { LocalPathProvisioner } from "./volume/local_path_provisioner.js";
import { PvProtectionController, PvcProtectionController } from "./volume/protection_controller.js";
import { PersistentVolumeController } from "./volume/pv_controller.js";
import type { Controller } from "./types.js";

export type KindedRef = ResourceRef & { kind: string };

export const LEASE_NAMESPACE = "kube-system";
export const LEASE_NAME = "kube-controller-manager";

/** Every controller this manager knows, by the names `--controllers` takes (Kubernetes' names). */
export const CONTROLLER_NAMES = ["deployment", "replicaset", "replicationcontroller", "garbagecollector", "namespace", "endpoint", "endpointslice", "horizontalpodautoscaling", "job", "cronjob", "daemonset", "statefulset", "nodeipam", "podgc", "disruption", "persistentvolume-binder", "local-path-provisioner", "pvc-protection", "pv-protection"] as const;
export type ControllerName = (typeof CONTROLLER_NAMES)[number];

export interface ControllerManagerOptions {
  client: Client;
  /** Campaign for the lease before running controllers (default true). Off: run at once, alone. */
  leaderElect?: boolean;
  /** This candidate's lease identity (default <hostname>_<uuid>, as Kubernetes does). */
  identity?: string;
  /** Kubernetes' defaults: 15 s lease, 10 s renew deadline, 2 s retry period. */
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  /** Which controllers run (default all). */
  controllers?: ControllerName[];
  /** Resources the garbage collector and namespace controller cover; discovered from the server when absent. */
  resources?: KindedRef[];
  workers?: number;
  /** HPA tuning: syncPeriodMs (15 s), downscaleStabilizationMs (5 min), calculator (tolerance 0.1, ...). */
  horizontalPodAutoscaler?: Pick<HpaControllerOptions, "syncPeriodMs" | "downscaleStabilizationMs" | "calculator">;
  /** Where the local-path provisioner puts volumes of classes without a basePath (default /var/lib/k8ts/local-path). */
  localPathDir?: string;
  /** Where every controller's work queue reports workqueue_* metrics (by queue name). */
  queueMetrics?: WorkQueueMetrics;
  clock?: Clock;
  log?: Logger;
}

interface ApiResource {
  name: string;
  kind: string;
  namespaced: boolean;
  verbs?: string[];
}

/**
 * The listable, watchable, deletable resources the server serves (preferred version of each group), from
 * /api/v1 and /apis. Events are left out: nothing owns them and watching them all is pure load.
 */
export async function discoverResources(client: Client): Promise<KindedRef[]> {
  const out: KindedRef[] = [];
  const add = (group: string, version: string, list: ApiResource[]): void => {
    for (const r of list) {
      const verbs = r.verbs ?? [];
      if (r.name.includes("/") || !["list", "watch", "delete"].every((v) => verbs.includes(v))) continue;
      if (r.name === "events") continue;
      out.push({ group, version, resource: r.name, namespaced: r.namespaced, kind: r.kind });
    }
  };
  const core = await client.request<{ resources: ApiResource[] }>({ method: "GET", path: "/api/v1" });
  add("", "v1", core.resources);
  const groups = await client.request<{ groups: Array<{ name: string; preferredVersion?: { version: string }; versions: Array<{ version: string }> }> }>({ method: "GET", path: "/apis" });
  for (const g of groups.groups) {
    const version = g.preferredVersion?.version ?? g.versions[0]?.version;
    if (!version) continue;
    const list = await client.request<{ resources: ApiResource[] }>({ method: "GET", path: `/apis/${g.name}/${version}` });
    add(g.name, version, list.resources);
  }
  return out;
}

/** Whether the server lists the resource in its group version's discovery document. */
async function serves(client: Client, ref: ResourceRef): Promise<boolean> {
  try {
    const list = await client.request<{ resources: ApiResource[] }>({ method: "GET", path: ref.group ? `/apis/${ref.group}/${ref.version}` : `/api/${ref.version}` });
    return list.resources.some((r) => r.name === ref.resource);
  } catch {
    return false;
  }
}

export class ControllerManager implements Controller {
  readonly name = "kube-controller-manager";
  readonly identity: string;
  private readonly log: Logger;
  private leading = false;

  constructor(private readonly opts: ControllerManagerOptions) {
    this.identity = opts.identity ?? `${hostname()}_${randomUUID()}`;
    this.log = (opts.log ?? silentLogger).with({ component: this.name });
  }

  /** True while this manager's controllers are running (always, once started, without leader election). */
  isLeader(): boolean {
    return this.leading;
  }

  async run(signal: AbortSignal): Promise<void> {
    // Queues built by the controllers of every term find the provider in the async context.
    const qm = this.opts.queueMetrics;
    return qm ? withWorkQueueMetrics(qm, () => this.runTerms(signal)) : this.runTerms(signal);
  }

  private async runTerms(signal: AbortSignal): Promise<void> {
    setMaxListeners(0, signal);
    if (this.opts.leaderElect === false) return this.runTerm(signal);
    while (!signal.aborted) {
      let term: Promise<void> | undefined;
      const elector = new LeaderElector({
        client: this.opts.client,
        namespace: LEASE_NAMESPACE,
        name: LEASE_NAME,
        identity: this.identity,
        leaseDurationMs: this.opts.leaseDurationMs,
        renewDeadlineMs: this.opts.renewDeadlineMs,
        retryPeriodMs: this.opts.retryPeriodMs,
        releaseOnCancel: true,
        clock: this.opts.clock,
        log: this.log,
        callbacks: {
          onStartedLeading: (lead) => {
            term = this.runTerm(lead);
          },
          onNewLeader: (id) => this.log.info("leader observed", { leader: id }),
        },
      });
      await elector.run(signal);
      await term;
      if (!signal.aborted) this.log.warn("leadership lost, controllers stopped; campaigning again");
    }
  }

  /** Builds this term's informers and controllers and runs them until the signal aborts. */
  private async runTerm(signal: AbortSignal): Promise<void> {
    // Every informer, queue and worker of the term listens on this one signal by design: no leak to warn about.
    setMaxListeners(0, signal);
    const { client } = this.opts;
    const enabled = new Set<ControllerName>(this.opts.controllers ?? CONTROLLER_NAMES);
    let refs = this.opts.resources;
    if (!refs && (enabled.has("garbagecollector") || enabled.has("namespace"))) {
      try {
        refs = await discoverResources(client);
      } catch (err) {
        // A server without discovery (test fakes): fall back to the resources every cluster has.
        this.log.warn("resource discovery failed, using the well-known resources", { err });
        refs = Object.values(wellKnown).filter((r) => r.resource !== "events");
      }
    }
    const informers = new SharedInformerFactory({ client, clock: this.opts.clock, log: this.log });
    const common = { client, informers, clock: this.opts.clock, log: this.log, workers: this.opts.workers };
    const controllers: Controller[] = [];
    if (enabled.has("deployment")) controllers.push(new DeploymentController(common));
    if (enabled.has("replicaset")) controllers.push(new ReplicaSetController({ ...common, kind: REPLICA_SET }));
    if (enabled.has("replicationcontroller")) controllers.push(new ReplicaSetController({ ...common, kind: REPLICATION_CONTROLLER }));
    if (enabled.has("garbagecollector")) controllers.push(new GarbageCollector({ ...common, resources: refs ?? [] }));
    if (enabled.has("namespace")) controllers.push(new NamespaceController({ ...common, resources: (refs ?? []).filter((r) => r.namespaced) }));
    if (enabled.has("endpoint")) controllers.push(new EndpointsController(common));
    if (enabled.has("endpointslice")) controllers.push(new EndpointSliceController(common));
    // The Job controller also does the TTL-after-finished controller's work.
    if (enabled.has("job")) controllers.push(new JobController(common));
    if (enabled.has("cronjob")) controllers.push(new CronJobController(common));
    if (enabled.has("daemonset")) controllers.push(new DaemonSetController(common));
    if (enabled.has("statefulset")) controllers.push(new StatefulSetController(common));
    // Kubernetes runs it with --allocate-node-cidrs: each Node a /24 of 10.244.0.0/16 for the pod network.
    if (enabled.has("nodeipam")) controllers.push(new NodeIpamController(common));
    // Pods bound to Nodes that are gone are force-deleted, so their owners replace them.
    if (enabled.has("podgc")) controllers.push(new PodGcController(common));
    if (enabled.has("persistentvolume-binder")) controllers.push(new PersistentVolumeController(common));
    if (enabled.has("local-path-provisioner")) controllers.push(new LocalPathProvisioner({ ...common, basePath: this.opts.localPathDir }));
    if (enabled.has("pvc-protection")) controllers.push(new PvcProtectionController(common));
    if (enabled.has("pv-protection")) controllers.push(new PvProtectionController(common));
    // As kube-controller-manager, a controller whose resource the server does not serve is skipped: its informer
    // would never sync and hold up every controller sharing the factory.
    const ifServed = async (name: ControllerName, ref: ResourceRef, make: () => Controller): Promise<void> => {
      if (!enabled.has(name)) return;
      if (await serves(client, ref)) controllers.push(make());
      else this.log.warn("skipping controller: resource not served", { controller: name, resource: `${ref.resource}.${ref.group}/${ref.version}` });
    };
    // PodDisruptionBudgets' status, which evictions (kubectl drain) and preemption go by.
    await ifServed("disruption", PDB_REF, () => new DisruptionController(common));
    await ifServed("horizontalpodautoscaling", HPA_REF, () => new HorizontalPodAutoscalerController({ ...common, ...this.opts.horizontalPodAutoscaler }));
    if (signal.aborted) return;
    this.leading = true;
    this.log.info("starting controllers", { controllers: controllers.map((c) => c.name), identity: this.identity });
    informers.start(signal);
    try {
      const results = await Promise.allSettled(controllers.map((c) => c.run(signal)));
      for (const [i, r] of results.entries()) if (r.status === "rejected") this.log.error("controller failed", { controller: controllers[i]!.name, err: r.reason });
    } finally {
      await informers.shutdown();
      this.leading = false;
      this.log.info("controllers stopped");
    }
  }
}
