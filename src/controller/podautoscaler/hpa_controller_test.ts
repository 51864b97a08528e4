import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { CrossVersionObjectReference } from "kubernetes-types/autoscaling/v2.js";
import type { Pod } from "kubernetes-types/core/v1.js";
import type { KubeObject } from "../../api/object.js";
import { FakeClock } from "../../client/clock.js";
import { SharedInformerFactory } from "../../client/informer_factory.js";
import { createClient } from "../../client/rest_client.js";
import { resources } from "../../client/resources.js";
import { FakeRecorder } from "../../client/event_recorder.js";
import { HPA_REF, HorizontalPodAutoscalerController, type HpaObject } from "./hpa_controller.js";
import type { PodMetricsInfo } from "./replica_calculator.js";
import type { CustomMetricsSource, ResourceMetricsClient, Scale, ScaleClient } from "./types.js";

type PodObject = Pod & KubeObject;
const KEY = "default/web";

/** A Deployment behind a fake scale subresource whose pods follow spec.replicas at once; the total cpu load is
 *  spread evenly over them. */
class Harness {
  readonly clock = new FakeClock(Date.UTC(2026, 0, 1));
  readonly recorder = new FakeRecorder();
  readonly informers: SharedInformerFactory;
  readonly controller: HorizontalPodAutoscalerController;
  replicas = 2;
  loadMilli = 0;
  metricsDown = false;
  targetExists = true;
  podAnnotations: Record<string, string> = {};

  constructor(hpa: Partial<HpaObject["spec"]> = {}, opts: { customMetrics?: CustomMetricsSource } = {}) {
    const client = createClient({ server: "http://127.0.0.1:9" });
    this.informers = new SharedInformerFactory({ client, clock: this.clock });
    const hpas = this.informers.forResource<HpaObject>(HPA_REF);
    hpas.indexer.upsert({
      apiVersion: "autoscaling/v2",
      kind: "HorizontalPodAutoscaler",
      metadata: { name: "web", namespace: "default", uid: "hpa-uid", resourceVersion: "1", generation: 1 },
      spec: { scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "web" }, minReplicas: 2, maxReplicas: 10, metrics: [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 50 } } }], ...hpa },
    });
    const scaleClient: ScaleClient = {
      get: async (_ns, ref: CrossVersionObjectReference): Promise<Scale> => {
        if (!this.targetExists) throw new Error(`deployments.apps "${ref.name}" not found`);
        return { apiVersion: "autoscaling/v1", kind: "Scale", metadata: { name: ref.name, namespace: "default" }, spec: { replicas: this.replicas }, status: { replicas: this.replicas, selector: "app=web" } };
      },
      update: async (_ns, _ref, scale) => {
        this.replicas = scale.spec?.replicas ?? 0;
        return scale;
      },
    };
    const resourceMetrics: ResourceMetricsClient = {
      podResourceMetrics: async () => {
        if (this.metricsDown) throw new Error("unable to get metrics for resource cpu: no metrics returned from resource metrics API");
        const out: PodMetricsInfo = new Map();
        for (let i = 0; i < this.replicas; i++) out.set(`web-${i}`, { valueMilli: this.loadMilli / this.replicas, timestamp: this.clock.now() - 1000, windowMs: 15_000 });
        return out;
      },
    };
    this.controller = new HorizontalPodAutoscalerController({
      client,
      informers: this.informers,
      scaleClient,
      resourceMetrics,
      customMetrics: opts.customMetrics,
      recorder: this.recorder,
      hpaClient: {
        updateStatus: async (_ns, obj) => {
          hpas.indexer.upsert(structuredClone(obj));
          return obj;
        },
      },
      clock: this.clock,
    });
  }

  hpa(): HpaObject {
    return this.informers.forResource<HpaObject>(HPA_REF).indexer.get(KEY)!;
  }

  condition(type: string): string {
    const c = this.hpa().status?.conditions?.find((x) => x.type === type);
    return c ? `${c.status} ${c.reason}` : "";
  }

  /** The pods the Deployment has now: ready for an hour, 100m cpu requested each. */
  private syncPods(): void {
    const pods = this.informers.forResource<PodObject>(resources.pods);
    for (const k of pods.indexer.listKeys()) pods.indexer.deleteKey(k);
    const longAgo = new Date(this.clock.now() - 3_600_000).toISOString();
    for (let i = 0; i < this.replicas; i++) {
      pods.indexer.upsert({
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: `web-${i}`, namespace: "default", labels: { app: "web" }, annotations: this.podAnnotations, resourceVersion: "1" },
        spec: { containers: [{ name: "c", image: "x", resources: { requests: { cpu: "100m" } } }] },
        status: { phase: "Running", startTime: longAgo, conditions: [{ type: "Ready", status: "True", lastTransitionTime: longAgo }] },
      });
    }
  }

  /** One sync period later, one sync. */
  async tick(seconds = 15): Promise<number> {
    this.clock.advance(seconds * 1000);
    this.syncPods();
    await this.controller.sync(KEY);
    return this.replicas;
  }
}

describe("HPA controller", () => {
  it("follows cpu load up within the rate limits and back down after the stabilization window", async () => {
    const h = new Harness();
    h.loadMilli = 180; // 90% of 2 x 100m
    assert.equal(await h.tick(), 4);
    assert.deepEqual(h.recorder.events, ["Normal SuccessfulRescale New size: 4; reason: cpu resource utilization (percentage of request) above target"]);
    const st = h.hpa().status!;
    assert.deepEqual(st.currentMetrics, [{ type: "Resource", resource: { name: "cpu", current: { averageUtilization: 90, averageValue: "90m" } } }]);
    assert.deepEqual([st.currentReplicas, st.desiredReplicas], [2, 4]);
    assert.ok(st.lastScaleTime);
    assert.equal(h.condition("AbleToScale"), "True SucceededRescale");
    assert.equal(h.condition("ScalingActive"), "True ValidMetricFound");
    assert.equal(h.condition("ScalingLimited"), "False DesiredWithinRange");

    h.loadMilli = 900; // 4 pods at 225%: wants 18, at most 2x per step
    assert.equal(await h.tick(), 8);
    assert.equal(h.condition("ScalingLimited"), "True ScaleUpLimit");
    assert.equal(await h.tick(), 10);
    assert.equal(h.condition("ScalingLimited"), "True TooManyReplicas");
    assert.equal(await h.tick(), 10);

    h.loadMilli = 100; // 10% each: wants 2, held by the high recommendations of the last 5 minutes
    const lastHigh = h.clock.now();
    while (h.clock.now() - lastHigh < 285_000) assert.equal(await h.tick(), 10);
    assert.equal(h.condition("AbleToScale"), "True ScaleDownStabilized");
    assert.equal(await h.tick(), 2, "five minutes after the last high recommendation");
    assert.equal(h.recorder.events.at(-1), "Normal SuccessfulRescale New size: 2; reason: All metrics below target");
    assert.equal(h.hpa().status?.desiredReplicas, 2);
  });

  it("follows behavior: a shortened window, Pods and Percent policies", async () => {
    const h = new Harness({
      behavior: {
        scaleUp: { stabilizationWindowSeconds: 0, selectPolicy: "Max", policies: [{ type: "Pods", value: 2, periodSeconds: 60 }] },
        scaleDown: { stabilizationWindowSeconds: 30, selectPolicy: "Max", policies: [{ type: "Percent", value: 50, periodSeconds: 15 }] },
      },
    });
    h.loadMilli = 1000;
    assert.equal(await h.tick(), 4, "2 pods per minute");
    assert.equal(await h.tick(), 4);
    assert.equal(await h.tick(60), 6);
    h.loadMilli = 0;
    assert.equal(await h.tick(), 6, "the high recommendation of 15 s ago is inside the 30 s window");
    assert.equal(await h.tick(), 3, "then half per 15 s");
    assert.equal(await h.tick(), 2, "then the minimum");
  });

  it("stays within the tolerance and honours min/max when the target was scaled by hand", async () => {
    const h = new Harness();
    h.loadMilli = 108; // 54%: within 10% of 50%
    assert.equal(await h.tick(), 2);
    assert.deepEqual(h.recorder.events, []);
    h.replicas = 15;
    assert.equal(await h.tick(), 10);
    assert.equal(h.recorder.events.at(-1), "Normal SuccessfulRescale New size: 10; reason: Current number of replicas above Spec.MaxReplicas");
    h.replicas = 0;
    assert.equal(await h.tick(), 0, "a target scaled to zero turns autoscaling off");
    assert.equal(h.condition("ScalingActive"), "False ScalingDisabled");
  });

  it("reports missing metrics and a missing target in conditions and events without scaling", async () => {
    const h = new Harness();
    h.metricsDown = true;
    assert.equal(await h.tick(), 2);
    assert.equal(h.condition("ScalingActive"), "False FailedGetResourceMetric");
    assert.match(h.hpa().status?.conditions?.find((c) => c.type === "ScalingActive")?.message ?? "", /^the HPA was unable to compute the replica count: failed to get cpu utilization: unable to get metrics/);
    assert.ok(h.recorder.events.some((e) => e.startsWith("Warning FailedGetResourceMetric")));
    assert.ok(h.recorder.events.some((e) => e.startsWith("Warning FailedComputeMetricsReplicas invalid metrics (1 invalid out of 1)")));
    h.targetExists = false;
    await h.tick();
    assert.equal(h.condition("AbleToScale"), "False FailedGetScale");
  });

  it("scales on Pods metrics from the custom metrics source, and never down while another metric is invalid", async () => {
    const custom: CustomMetricsSource = {
      podMetrics: async (_ns, metric) => {
        if (metric.name !== "requests_per_second") throw new Error(`no metric ${metric.name}`);
        return new Map(Array.from({ length: h.replicas }, (_, i) => [`web-${i}`, { valueMilli: 30_000, timestamp: h.clock.now(), windowMs: 0 }]));
      },
      objectMetric: async () => ({ valueMilli: 0, timestamp: 0 }),
      externalMetric: async () => [],
    };
    const pods = (name: string, avg: string) => ({ type: "Pods", pods: { metric: { name }, target: { type: "AverageValue", averageValue: avg } } });
    const h: Harness = new Harness({ metrics: [pods("requests_per_second", "10")] }, { customMetrics: custom });
    assert.equal(await h.tick(), 4, "30 per pod against 10 wants 6; one step doubles at most");
    assert.equal(h.recorder.events.at(-1), "Normal SuccessfulRescale New size: 4; reason: pods metric requests_per_second above target");
    assert.deepEqual(h.hpa().status?.currentMetrics, [{ type: "Pods", pods: { metric: { name: "requests_per_second" }, current: { averageValue: "30" } } }]);

    const h2: Harness = new Harness({ metrics: [pods("requests_per_second", "100"), pods("missing", "1")] }, { customMetrics: custom });
    assert.equal(await h2.tick(), 2, "the valid metric asks for fewer, but one is invalid");
    assert.equal(h2.condition("ScalingActive"), "False FailedGetPodsMetric");
  });

  it("scales on Object and External metrics, reporting their current values", async () => {
    const custom: CustomMetricsSource = {
      podMetrics: async () => new Map(),
      objectMetric: async () => ({ valueMilli: 250_000, timestamp: 0 }),
      externalMetric: async () => [{ valueMilli: 30_000, timestamp: 0 }, { valueMilli: 10_000, timestamp: 0 }],
    };
    const fast = { scaleUp: { stabilizationWindowSeconds: 0, selectPolicy: "Max", policies: [{ type: "Pods", value: 100, periodSeconds: 15 }] } };
    const object = { type: "Object", object: { describedObject: { apiVersion: "v1", kind: "Service", name: "front" }, metric: { name: "rps" }, target: { type: "Value", value: "100" } } };
    const h = new Harness({ metrics: [object], behavior: fast }, { customMetrics: custom });
    // 250 against 100 over 2 ready pods: ceil(2.5 * 2) = 5.
    assert.equal(await h.tick(), 5);
    assert.equal(h.recorder.events.at(-1), "Normal SuccessfulRescale New size: 5; reason: Service metric rps above target");
    assert.deepEqual(h.hpa().status?.currentMetrics?.[0]?.object?.current, { value: "250" });

    const external = { type: "External", external: { metric: { name: "queue_length" }, target: { type: "AverageValue", averageValue: "5" } } };
    const e = new Harness({ metrics: [external], behavior: fast }, { customMetrics: custom });
    // 40 in all, 5 per pod: 8 pods.
    assert.equal(await e.tick(), 8);
    assert.equal(e.recorder.events.at(-1), "Normal SuccessfulRescale New size: 8; reason: external metric queue_length above target");
    assert.deepEqual(e.hpa().status?.currentMetrics?.[0]?.external?.current, { averageValue: "20" });
  });

  it("scales on memory by AverageValue and on one container's cpu (ContainerResource)", async () => {
    const mem = new Harness({ metrics: [{ type: "Resource", resource: { name: "memory", target: { type: "AverageValue", averageValue: "100Mi" } } }] });
    mem.loadMilli = 2 * 300 * 1024 * 1024 * 1000; // 300Mi per pod
    assert.equal(await mem.tick(), 4, "wants 6; one step doubles at most");
    assert.equal(mem.recorder.events.at(-1), "Normal SuccessfulRescale New size: 4; reason: memory resource above target");
    assert.deepEqual(mem.hpa().status?.currentMetrics, [{ type: "Resource", resource: { name: "memory", current: { averageValue: "314572800" } } }]);

    const container = new Harness({ metrics: [{ type: "ContainerResource", containerResource: { name: "cpu", container: "c", target: { type: "Utilization", averageUtilization: 50 } } }] });
    container.loadMilli = 160; // 80% of the container's request
    assert.equal(await container.tick(), 4);
    assert.equal(container.recorder.events.at(-1), "Normal SuccessfulRescale New size: 4; reason: cpu container resource utilization (percentage of request) above target");
    assert.deepEqual(container.hpa().status?.currentMetrics?.[0]?.containerResource, { name: "cpu", container: "c", current: { averageUtilization: 80, averageValue: "80m" } });
  });
});
