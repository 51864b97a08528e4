// Out-of-tree plugins at Reserve, Permit and PreBind, enabled through the configuration, driving the real
// scheduler against the fake API server: a Permit Wait holds the binding until allowed, a failed PreBind runs
// Unreserve and retries the pod, and metrics count the attempts.
import assert from "node:assert/strict";
import { afterEach, beforeEach, it } from "node:test";
import type { StoredObject } from "../api/object.js";
import { parseConfig } from "./config/load.js";
import type { Pod } from "./framework/api_types.js";
import { Status } from "./framework/status.js";
import type { Handle, PermitPlugin, PreBindPlugin, ReservePlugin } from "./framework/types.js";
import { IN_TREE_REGISTRY, type Registry } from "./plugins/registry.js";
import { registryResolveOptions, Scheduler } from "./scheduler.js";
import { forCreate, makeNode, makePod } from "./testing/builders.js";
import { startFakeCluster, type FakeCluster } from "./testing/fake_cluster.js";
import { waitFor } from "./testing/wait.js";

let cluster: FakeCluster;
let stop: AbortController;
let done: Promise<void> | undefined;

beforeEach(async () => {
  cluster = await startFakeCluster();
  stop = new AbortController();
});
afterEach(async () => {
  stop.abort();
  await done;
  await cluster.close();
});

interface Gate extends ReservePlugin, PermitPlugin, PreBindPlugin {
  handle: Handle;
  log: string[];
  failPreBindOnce: Set<string>;
}

function gateRegistry(gate: { current?: Gate }): Registry {
  return {
    ...IN_TREE_REGISTRY,
    Gate: {
      points: ["reserve", "permit", "preBind"],
      factory: (_args, handle) => {
        const g: Gate = {
          name: "Gate",
          handle,
          log: [],
          failPreBindOnce: new Set(["flaky"]),
          reserve(_s, pod, node) {
            g.log.push(`reserve ${pod.metadata?.name} ${node}`);
            return Status.success();
          },
          unreserve(_s, pod, node) {
            g.log.push(`unreserve ${pod.metadata?.name} ${node}`);
          },
          permit(_s, pod) {
            return pod.metadata?.labels?.gated === "true" ? { status: Status.wait(), timeoutMs: 60_000 } : { status: Status.success() };
          },
          async preBind(_s, pod) {
            const name = pod.metadata?.name ?? "";
            if (g.failPreBindOnce.delete(name)) return Status.error("volume not ready");
            g.log.push(`prebind ${name}`);
            return Status.success();
          },
        };
        gate.current = g;
        return g;
      },
    },
  };
}

it("runs Reserve, Permit (Wait until allowed), PreBind and Unreserve of an out-of-tree plugin", async () => {
  const gate: { current?: Gate } = {};
  const registry = gateRegistry(gate);
  const config = parseConfig(
    "profiles:\n- plugins:\n    reserve: {enabled: [{name: Gate}]}\n    permit: {enabled: [{name: Gate}]}\n    preBind: {enabled: [{name: Gate}]}\n",
    registryResolveOptions(registry),
  );
  const store = cluster.server.store;
  const pods = store.find("", "pods")!;
  store.create(store.find("", "nodes")!, "", forCreate(makeNode("n1")));
  const scheduler = new Scheduler({ client: cluster.client, config, registry, leaderElect: false });
  done = scheduler.run(stop.signal);
  const get = (n: string) => store.get(pods, "default", n) as StoredObject & Pod;

  store.create(pods, "default", forCreate(makePod("gated", { labels: { gated: "true" } })));
  const waiting = await waitFor("gated pod waiting at Permit", () => gate.current?.handle.waitingPods.list().find((p) => p.metadata?.name === "gated"));
  assert.equal(get("gated").spec?.nodeName, undefined, "not bound while Permit waits");
  assert.ok(gate.current!.log.includes("reserve gated n1"));
  gate.current!.handle.waitingPods.allow(waiting.metadata!.uid!, "Gate");
  await waitFor("gated bound after allow", () => get("gated").spec?.nodeName);

  store.create(pods, "default", forCreate(makePod("flaky")));
  await waitFor("flaky bound after a failed PreBind", () => get("flaky").spec?.nodeName);
  assert.deepEqual(
    gate.current!.log.filter((l) => l.includes("flaky")),
    ["reserve flaky n1", "unreserve flaky n1", "reserve flaky n1", "prebind flaky"],
  );
  assert.equal(scheduler.metrics.attemptCount("scheduled"), 2);
  assert.equal(scheduler.metrics.attemptCount("error"), 1);
  const text = scheduler.metrics.render();
  assert.match(text, /scheduler_schedule_attempts_total\{profile="default-scheduler",result="scheduled"\} 2/);
  assert.match(text, /scheduler_schedule_attempts_total\{profile="default-scheduler",result="error"\} 1/);
  assert.match(text, /scheduler_scheduling_attempt_duration_seconds_count\{profile="default-scheduler",result="scheduled"\} 2/);
  assert.match(text, /# TYPE scheduler_scheduling_attempt_duration_seconds histogram/);
});
