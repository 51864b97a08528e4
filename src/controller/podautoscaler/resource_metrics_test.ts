import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Client, RawRequest } from "../../client/rest_client.js";
import { ApiResourceMetrics } from "./resource_metrics.js";

/** Answers every request with one PodMetricsList and remembers what was asked. */
function stubClient(items: unknown[], asked: RawRequest[]): Client {
  const fail = (): never => {
    throw new Error("not used");
  };
  return {
    server: "http://stub",
    resource: fail,
    watchPath: fail,
    close: () => undefined,
    request: async <T>(req: RawRequest): Promise<T> => {
      asked.push(req);
      return { kind: "PodMetricsList", items } as T;
    },
  };
}

const item = (name: string, containers: Array<[string, Record<string, string>]>) => ({
  metadata: { name },
  timestamp: "2026-01-01T00:00:10Z",
  window: "15.5s",
  containers: containers.map(([n, usage]) => ({ name: n, usage })),
});

describe("resource metrics from metrics.k8s.io", () => {
  const items = [
    item("a", [["app", { cpu: "250m", memory: "64Mi" }], ["sidecar", { cpu: "50m", memory: "16Mi" }]]),
    item("b", [["app", { cpu: "1", memory: "1Gi" }], ["sidecar", { memory: "1Mi" }]]),
  ];

  it("sums a pod's containers, or takes one container; pods lacking the resource somewhere are left out", async () => {
    const asked: RawRequest[] = [];
    const m = new ApiResourceMetrics(stubClient(items, asked));
    const cpu = await m.podResourceMetrics("web", "cpu", "app=web");
    assert.deepEqual(asked[0], { method: "GET", path: "/apis/metrics.k8s.io/v1beta1/namespaces/web/pods", query: { labelSelector: "app=web" } });
    assert.deepEqual([...cpu.entries()], [["a", { valueMilli: 300, timestamp: Date.UTC(2026, 0, 1, 0, 0, 10), windowMs: 15_500 }]]);
    const appCpu = await m.podResourceMetrics("web", "cpu", "app=web", "app");
    assert.deepEqual([...appCpu.entries()].map(([k, v]) => [k, v.valueMilli]), [["a", 250], ["b", 1000]]);
    const memory = await m.podResourceMetrics("web", "memory", "app=web");
    assert.equal(memory.get("a")?.valueMilli, 80 * 1024 * 1024 * 1000);
  });

  it("fails when no pod has the metric", async () => {
    const m = new ApiResourceMetrics(stubClient([], []));
    await assert.rejects(m.podResourceMetrics("web", "cpu", "app=web"), /unable to get metrics for resource cpu: no metrics returned from resource metrics API/);
  });
});
