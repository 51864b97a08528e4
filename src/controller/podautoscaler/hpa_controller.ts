// The HorizontalPodAutoscaler controller (autoscaling/v2): every sync period each HPA reads its target's scale
// subresource, evaluates its metrics against the target's pods, normalizes the proposal (min/max, stabilization
// windows, scaling policies), writes the new scale, and always recomputes status (currentMetrics, replicas,
// conditions AbleToScale / ScalingActive / ScalingLimited, lastScaleTime). Events as Kubernetes writes them:
// SuccessfulRescale "New size: 4; reason: cpu resource utilization (percentage of request) above target".
import type { HorizontalPodAutoscaler, HorizontalPodAutoscalerBehavior, HorizontalPodAutoscalerCondition, HPAScalingRules, MetricStatus } from "kubernetes-types/autoscaling/v2.js";
import type { Pod } from "kubernetes-types/core/v1.js";
import type { KubeObject } from "../../api/object.js";
import { realClock, type Clock } from "../../client/clock.js";
import { splitKey } from "../../client/indexer.js";
import { unwrapTombstone, type SharedInformer } from "../../client/informer.js";
import type { SharedInformerFactory } from "../../client/informer_factory.js";
import { runWorkers, type SyncResult } from "../../client/queue_worker.js";
import type { Client } from "../../client/rest_client.js";
import { resources } from "../../client/resources.js";
import type { ResourceClient, ResourceRef } from "../../client/types.js";
import { WorkQueue } from "../../client/workqueue.js";
import { isConflict, isNotFound } from "../../machinery/errors.js";
import { parseSelector } from "../../machinery/labels.js";
import type { Logger } from "../../util/log.js";
import { silentLogger } from "../../util/log.js";
import { EventRecorder, type EventSink } from "../../client/event_recorder.js";
import type { Controller } from "../types.js";
import { AnnotationMetricsSource } from "./annotation_metrics.js";
import { DEFAULT_DOWNSCALE_STABILIZATION_MS, ScalingHistory } from "./behavior.js";
import { ApiCustomMetrics } from "./custom_metrics.js";
import { combineMetrics } from "./metric_replicas.js";
import { DEFAULT_CALCULATOR_OPTIONS, type CalculatorOptions } from "./replica_calculator.js";
import { ApiResourceMetrics } from "./resource_metrics.js";
import { DiscoveryScaleClient } from "./scale_client.js";
import type { CustomMetricsSource, ResourceMetricsClient, Scale, ScaleClient } from "./types.js";

export type HpaObject = HorizontalPodAutoscaler & KubeObject;
type PodObject = Pod & KubeObject;

export const HPA_REF: ResourceRef = { group: "autoscaling", version: "v2", resource: "horizontalpodautoscalers", namespaced: true, kind: "HorizontalPodAutoscaler" };
/** Kubernetes' --horizontal-pod-autoscaler-sync-period. */
export const DEFAULT_SYNC_PERIOD_MS = 15_000;

export interface HpaControllerOptions {
  client: Client;
  informers: SharedInformerFactory;
  resourceMetrics?: ResourceMetricsClient;
  /** Pods, Object and External metrics (default: Pods and Object from custom.metrics.k8s.io through the API,
   *  External from the annotation adapter). */
  customMetrics?: CustomMetricsSource;
  scaleClient?: ScaleClient;
  hpaClient?: Pick<ResourceClient<HpaObject>, "updateStatus">;
  recorder?: EventSink;
  syncPeriodMs?: number;
  /** Scale-down stabilization without spec.behavior, and the default of behavior.scaleDown (5 min). */
  downscaleStabilizationMs?: number;
  /** tolerance, cpuInitializationPeriodMs, delayOfInitialReadinessStatusMs. */
  calculator?: Partial<Omit<CalculatorOptions, "now">>;
  workers?: number;
  clock?: Clock;
  log?: Logger;
}

const defaultUp = (): HPAScalingRules => ({ stabilizationWindowSeconds: 0, selectPolicy: "Max", policies: [{ type: "Pods", value: 4, periodSeconds: 15 }, { type: "Percent", value: 100, periodSeconds: 15 }] });
const defaultDown = (windowSeconds: number): HPAScalingRules => ({ stabilizationWindowSeconds: windowSeconds, selectPolicy: "Max", policies: [{ type: "Percent", value: 100, periodSeconds: 15 }] });

/** Behavior with the API's defaults filled in (objects written before defaulting may lack some). */
function withDefaults(b: HorizontalPodAutoscalerBehavior, downWindowSeconds: number): HorizontalPodAutoscalerBehavior {
  const up = { ...defaultUp(), ...b.scaleUp };
  const down = { ...defaultDown(downWindowSeconds), ...b.scaleDown };
  up.policies ??= defaultUp().policies;
  down.policies ??= defaultDown(downWindowSeconds).policies;
  return { scaleUp: up, scaleDown: down };
}

export class HorizontalPodAutoscalerController implements Controller {
  readonly name = "horizontal-pod-autoscaler-controller";
  readonly queue: WorkQueue<string>;
  private readonly hpas: SharedInformer<HpaObject>;
  private readonly pods: SharedInformer<PodObject>;
  private readonly histories = new Map<string, ScalingHistory>();
  private readonly resourceMetrics: ResourceMetricsClient;
  private readonly customMetrics: CustomMetricsSource;
  private readonly scales: ScaleClient;
  private readonly hpaClient: Pick<ResourceClient<HpaObject>, "updateStatus">;
  private readonly recorder: EventSink;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly syncPeriodMs: number;
  private readonly downscaleMs: number;

  constructor(private readonly opts: HpaControllerOptions) {
    this.clock = opts.clock ?? realClock;
    this.log = (opts.log ?? silentLogger).with({ controller: this.name });
    this.queue = new WorkQueue({ name: "horizontalpodautoscaler", clock: this.clock });
    this.syncPeriodMs = opts.syncPeriodMs ?? DEFAULT_SYNC_PERIOD_MS;
    this.downscaleMs = opts.downscaleStabilizationMs ?? DEFAULT_DOWNSCALE_STABILIZATION_MS;
    this.hpas = opts.informers.forResource<HpaObject>(HPA_REF);
    this.pods = opts.informers.forResource<PodObject>(resources.pods);
    const scales = new DiscoveryScaleClient(opts.client);
    this.scales = opts.scaleClient ?? scales;
    this.resourceMetrics = opts.resourceMetrics ?? new ApiResourceMetrics(opts.client);
    this.customMetrics =
      opts.customMetrics ??
      new ApiCustomMetrics(opts.client, {
        resourceOf: (ref) => scales.resourceOf(ref),
        external: new AnnotationMetricsSource(opts.client, { pods: this.pods.lister(), objectPath: (ns, ref) => scales.objectPath(ns, ref), clock: this.clock }),
      });
    this.hpaClient = opts.hpaClient ?? opts.client.resource<HpaObject>(HPA_REF);
    this.recorder = opts.recorder ?? new EventRecorder({ client: opts.client, clock: this.clock, log: this.log, component: "horizontal-pod-autoscaler" });
    this.hpas.addEventHandler({
      onAdd: (h) => this.queue.add(keyOf(h)),
      // Our own status writes do not change the generation: only spec changes deserve a sync out of turn.
      onUpdate: (old, cur) => {
        if (old.metadata?.generation !== cur.metadata?.generation) this.queue.add(keyOf(cur));
      },
      onDelete: (obj) => this.histories.delete(keyOf(unwrapTombstone(obj))),
    });
  }

  async run(signal: AbortSignal): Promise<void> {
    this.opts.informers.start(signal);
    if (!(await this.opts.informers.waitForCacheSync(signal))) return;
    await runWorkers({ queue: this.queue, sync: (key) => this.sync(key), workers: this.opts.workers ?? 5, log: this.log, signal });
  }

  /** One reconcile of the HPA; every HPA comes back after the sync period whatever happened. */
  async sync(key: string): Promise<SyncResult | void> {
    const cached = this.hpas.indexer.get(key);
    if (!cached) {
      this.histories.delete(key);
      return;
    }
    const hpa = structuredClone(cached) as HpaObject;
    hpa.apiVersion ??= "autoscaling/v2";
    hpa.kind ??= "HorizontalPodAutoscaler";
    const before = JSON.stringify(hpa.status ?? {});
    try {
      await this.reconcile(key, hpa);
    } catch (err) {
      this.log.info("autoscaling failed", { hpa: key, err: (err as Error).message });
    }
    if (JSON.stringify(hpa.status ?? {}) !== before) {
      try {
        await this.hpaClient.updateStatus(hpa.metadata?.namespace, hpa);
      } catch (err) {
        if (isNotFound(err)) return;
        if (!isConflict(err)) throw err;
        // Our cache was behind: the next look (soon, rate limited) uses the fresh object.
        this.queue.addRateLimited(key);
        return;
      }
    }
    return { requeueAfterMs: this.syncPeriodMs };
  }

  private history(key: string): ScalingHistory {
    let h = this.histories.get(key);
    if (!h) this.histories.set(key, (h = new ScalingHistory(this.downscaleMs)));
    return h;
  }

  private setCondition(hpa: HpaObject, type: string, status: "True" | "False", reason: string, message: string): void {
    const st = (hpa.status ??= { desiredReplicas: 0 });
    const conditions = (st.conditions ??= []);
    const now = new Date(this.clock.now()).toISOString().replace(/\.\d+Z$/, "Z");
    const existing = conditions.find((c) => c.type === type);
    const next: HorizontalPodAutoscalerCondition = { type, status, reason, message, lastTransitionTime: existing && existing.status === status ? existing.lastTransitionTime : now };
    if (existing) Object.assign(existing, next);
    else conditions.push(next);
  }

  private setStatus(hpa: HpaObject, current: number, desired: number, metrics: MetricStatus[] | undefined, rescaled: boolean): void {
    const st = (hpa.status ??= { desiredReplicas: 0 });
    st.currentReplicas = current;
    st.desiredReplicas = desired;
    if (metrics && metrics.length > 0) st.currentMetrics = metrics;
    else delete st.currentMetrics;
    if (rescaled) st.lastScaleTime = new Date(this.clock.now()).toISOString().replace(/\.\d+Z$/, "Z");
    st.observedGeneration = hpa.metadata?.generation;
  }

  private async reconcile(key: string, hpa: HpaObject): Promise<void> {
    const { namespace } = splitKey(key);
    const spec = hpa.spec!;
    const ref = spec.scaleTargetRef;
    const reference = `${ref.kind}/${ref.name}`;
    let scale: Scale;
    try {
      scale = await this.scales.get(namespace, ref);
    } catch (err) {
      const msg = (err as Error).message;
      this.setCondition(hpa, "AbleToScale", "False", "FailedGetScale", `the HPA controller was unable to get the target's current scale: ${msg}`);
      this.recorder.event(hpa, "Warning", "FailedGetScale", msg);
      this.setStatus(hpa, hpa.status?.currentReplicas ?? 0, hpa.status?.desiredReplicas ?? 0, hpa.status?.currentMetrics, false);
      throw new Error(`failed to query scale subresource for ${reference}: ${msg}`);
    }
    this.setCondition(hpa, "AbleToScale", "True", "SucceededGetScale", "the HPA controller was able to get the target's current scale");
    const current = scale.spec?.replicas ?? 0;
    const minReplicas = spec.minReplicas ?? 1;
    const now = this.clock.now();
    let desired = 0;
    let reason = "";
    let metrics: MetricStatus[] | undefined;
    let rescale = true;
    if (current === 0 && minReplicas !== 0) {
      rescale = false;
      this.setCondition(hpa, "ScalingActive", "False", "ScalingDisabled", "scaling is disabled since the replica count of the target is zero");
    } else if (current > spec.maxReplicas) {
      reason = "Current number of replicas above Spec.MaxReplicas";
      desired = spec.maxReplicas;
    } else if (current < minReplicas) {
      reason = "Current number of replicas below Spec.MinReplicas";
      desired = minReplicas;
    } else {
      const selector = scale.status?.selector ?? "";
      if (!selector) {
        this.recorder.event(hpa, "Warning", "SelectorRequired", "selector is required");
        this.setCondition(hpa, "ScalingActive", "False", "InvalidSelector", "the HPA target's scale is missing a selector");
        this.setStatus(hpa, current, hpa.status?.desiredReplicas ?? current, undefined, false);
        throw new Error(`${reference}: selector is required`);
      }
      let pods: PodObject[];
      try {
        pods = this.pods.lister().namespace(namespace).list(parseSelector(selector));
      } catch (err) {
        this.recorder.event(hpa, "Warning", "InvalidSelector", `couldn't convert selector into a corresponding internal selector object: ${(err as Error).message}`);
        this.setCondition(hpa, "ScalingActive", "False", "InvalidSelector", "the HPA target's scale has an invalid selector");
        throw err;
      }
      const combined = await combineMetrics(spec.metrics ?? [], {
        namespace,
        selector,
        specReplicas: current,
        statusReplicas: scale.status?.replicas ?? 0,
        pods,
        resourceMetrics: this.resourceMetrics,
        customMetrics: this.customMetrics,
        calc: { ...DEFAULT_CALCULATOR_OPTIONS, ...this.opts.calculator, now },
      });
      metrics = combined.statuses;
      if (combined.firstError) this.recorder.event(hpa, "Warning", combined.firstError.reason, combined.firstError.message);
      if (combined.replicas === -1) {
        const e = combined.firstError!;
        this.setCondition(hpa, "ScalingActive", "False", e.reason, `the HPA was unable to compute the replica count: ${e.message}`);
        this.recorder.event(hpa, "Warning", "FailedComputeMetricsReplicas", combined.summary ?? e.message);
        this.setStatus(hpa, current, hpa.status?.desiredReplicas ?? current, metrics, false);
        throw new Error(`failed to compute desired number of replicas based on listed metrics for ${reference}: ${combined.summary}`);
      }
      this.setCondition(hpa, "ScalingActive", "True", "ValidMetricFound", `the HPA was able to successfully calculate a replica count from ${combined.name}`);
      desired = combined.replicas;
      if (desired > current) reason = `${combined.name} above target`;
      if (desired < current) reason = "All metrics below target";
      const history = this.history(key);
      const args = { current, desired, minReplicas, maxReplicas: spec.maxReplicas, now };
      const n = spec.behavior ? history.normalizeWithBehavior(args, withDefaults(spec.behavior, this.downscaleMs / 1000)) : history.normalize(args);
      if (n.stabilized) this.setCondition(hpa, "AbleToScale", "True", n.stabilized.reason, n.stabilized.message);
      this.setCondition(hpa, "ScalingLimited", n.limit.limited ? "True" : "False", n.limit.reason, n.limit.message);
      desired = n.replicas;
    }
    rescale = rescale && desired !== current;
    if (rescale) {
      try {
        await this.scales.update(namespace, ref, { ...scale, spec: { ...scale.spec, replicas: desired } });
      } catch (err) {
        const msg = (err as Error).message;
        this.recorder.event(hpa, "Warning", "FailedRescale", `New size: ${desired}; reason: ${reason}; error: ${msg}`);
        this.setCondition(hpa, "AbleToScale", "False", "FailedUpdateScale", `the HPA controller was unable to update the target scale: ${msg}`);
        this.setStatus(hpa, current, hpa.status?.desiredReplicas ?? current, metrics, false);
        throw new Error(`failed to rescale ${reference}: ${msg}`);
      }
      this.setCondition(hpa, "AbleToScale", "True", "SucceededRescale", `the HPA controller was able to update the target scale to ${desired}`);
      this.recorder.event(hpa, "Normal", "SuccessfulRescale", `New size: ${desired}; reason: ${reason}`);
      this.history(key).recordScale(current, desired, now, spec.behavior ? withDefaults(spec.behavior, this.downscaleMs / 1000) : undefined);
      this.log.info("rescaled", { hpa: key, target: reference, from: current, to: desired, reason });
    } else {
      desired = current;
    }
    this.setStatus(hpa, current, desired, metrics, rescale);
  }
}

function keyOf(obj: { metadata?: { namespace?: string; name?: string } }): string {
  return `${obj.metadata?.namespace ?? ""}/${obj.metadata?.name ?? ""}`;
}
