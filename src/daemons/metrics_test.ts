// Issue 9, Prometheus metrics: scrapes every component of a k8ts server (API server, in-process controller manager
// and scheduler on the server's /metrics) and a hollow node agent's /metrics and /metrics/resource, checking names,
// labels, HELP/TYPE lines and that counters move with activity. Waits are generous polls, never timings.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Pod } from "kubernetes-types/core/v1.js";
import type { KubeObject } from "../api/object.js";
import { createClient, type Client } from "../client/rest_client.js";
import { resources } from "../client/resources.js";
import { HollowNodes } from "../kubelet/hollow_nodes.js";
import { startKubeletServer, type KubeletServer } from "../kubelet/kubelet_server.js";
import { silentLogger } from "../util/log.js";
import { parseExposition, scrape, type Exposition } from "../util/metrics/testing/scrape.js";
import { pollUntil } from "./hollow_testing.js";
import { startServer, type RunningServer } from "./server.js";

const KUBECTL = "/usr/lib/google-cloud-sdk/bin/kubectl.1.31";

/** The usual poll, every 100 ms. */
const waitFor = <T>(what: string, fn: () => Promise<T | undefined | false>): Promise<T> => pollUntil(what, fn, { intervalMs: 100 });

function assertFamily(m: Exposition, name: string, type: string): void {
  const f = m.families.get(name);
  assert.ok(f, `family ${name} missing`);
  assert.equal(f.type, type, `type of ${name}`);
  assert.ok(f.help.length > 0, `HELP of ${name}`);
}

describe("Prometheus metrics of every component", () => {
  let dir: string;
  let server: RunningServer;
  let client: Client;
  let sim: HollowNodes;
  let agent: KubeletServer;
  const ac = new AbortController();
  let running: Promise<void> | undefined;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "k8ts-metrics-"));
    server = await startServer({ dataDir: dir, port: 0, logger: silentLogger, leaderElect: false, metrics: false, controllerManager: { controllers: ["replicaset", "garbagecollector", "namespace"] } });
    client = createClient({ server: server.url });
    sim = new HollowNodes({ client, count: 1, capacity: { cpu: "8", memory: "16Gi", pods: "50" } });
    agent = await startKubeletServer(sim.kubelets[0]!, { host: "127.0.0.1", port: 0 });
    running = sim.run(ac.signal);
  });

  after(async () => {
    ac.abort();
    await running;
    await agent?.close();
    client?.close();
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("the server's /metrics shows API server, controller manager, scheduler and process metrics that move with activity", async () => {
    const before = await scrape(`${server.url}/metrics`);
    const posted = { verb: "POST", group: "", version: "v1", resource: "pods", scope: "resource", code: "201" };
    const postsBefore = before.value("apiserver_request_total", posted);
    const scheduledBefore = before.value("scheduler_schedule_attempts_total", { result: "scheduled" });

    const pods = client.resource<Pod & KubeObject>(resources.pods);
    await pods.create("default", { metadata: { name: "direct" }, spec: { containers: [{ name: "c", image: "nginx:1.27" }] } });
    await client.resource(resources.replicasets).create("default", {
      apiVersion: "apps/v1",
      kind: "ReplicaSet",
      metadata: { name: "web" },
      spec: { replicas: 1, selector: { matchLabels: { app: "web" } }, template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "c", image: "nginx:1.27" }] } } },
    });
    await waitFor("both pods Running", async () => (await pods.list("default")).items.filter((p) => p.status?.phase === "Running").length === 2);

    const m = await waitFor("the scheduler's attempts on /metrics", async () => {
      const s = await scrape(`${server.url}/metrics`);
      return s.value("scheduler_schedule_attempts_total", { result: "scheduled" }) >= scheduledBefore + 2 && s;
    });
    // API server: the direct pod and the ReplicaSet's pod were both created with 201.
    assert.ok(m.value("apiserver_request_total", posted) >= postsBefore + 2, "POST pods 201 counted");
    assert.ok(m.value("apiserver_request_total", { verb: "POST", group: "apps", resource: "replicasets", code: "201" }) >= 1);
    assert.ok(m.value("apiserver_request_total", { verb: "POST", resource: "pods", subresource: "binding", code: "201" }) >= 2, "scheduler bindings");
    assert.ok(m.value("apiserver_request_total", { verb: "LIST", resource: "pods" }) >= 1);
    assert.ok(m.find("apiserver_request_total", { verb: "WATCH", resource: "pods" }).length + m.find("apiserver_longrunning_requests", { verb: "WATCH", resource: "pods" }).length > 0, "watches seen");
    assert.ok(m.value("apiserver_longrunning_requests", { verb: "WATCH" }) >= 1, "informers hold watches open");
    assert.ok(m.value("apiserver_request_duration_seconds_count", { verb: "POST", resource: "pods" }) >= 2);
    assert.equal(m.value("apiserver_storage_objects", { resource: "pods" }), 2);
    assert.equal(m.value("apiserver_storage_objects", { resource: "replicasets.apps" }), 1);
    assert.ok(m.value("apiserver_storage_objects", { resource: "namespaces" }) >= 4);
    for (const [name, type] of [
      ["apiserver_request_total", "counter"],
      ["apiserver_request_duration_seconds", "histogram"],
      ["apiserver_current_inflight_requests", "gauge"],
      ["apiserver_longrunning_requests", "gauge"],
      ["apiserver_storage_objects", "gauge"],
      ["workqueue_depth", "gauge"],
      ["workqueue_adds_total", "counter"],
      ["workqueue_retries_total", "counter"],
      ["workqueue_queue_duration_seconds", "histogram"],
      ["workqueue_work_duration_seconds", "histogram"],
      ["scheduler_schedule_attempts_total", "counter"],
      ["scheduler_scheduling_attempt_duration_seconds", "histogram"],
      ["scheduler_pending_pods", "gauge"],
      ["process_cpu_seconds_total", "counter"],
      ["process_resident_memory_bytes", "gauge"],
      ["process_start_time_seconds", "gauge"],
      ["process_open_fds", "gauge"],
      ["nodejs_heap_size_used_bytes", "gauge"],
    ] as const) {
      assertFamily(m, name, type);
    }
    // Controller manager: the ReplicaSet controller's queue took the ReplicaSet (and its pod's events).
    assert.ok(m.value("workqueue_adds_total", { name: "replicasets" }) >= 1, "replicaset queue adds");
    assert.ok(m.value("workqueue_work_duration_seconds_count", { name: "replicasets" }) >= 1);
    assert.equal(m.find("workqueue_depth", { name: "replicasets" }).length, 1);
    // Scheduler: labelled by profile, histogram count matches the counter.
    assert.ok(m.value("scheduler_schedule_attempts_total", { result: "scheduled", profile: "default-scheduler" }) >= 2);
    assert.equal(
      m.value("scheduler_scheduling_attempt_duration_seconds_count", { result: "scheduled" }),
      m.value("scheduler_schedule_attempts_total", { result: "scheduled" }),
    );
    assert.deepEqual(m.find("scheduler_pending_pods").map((s) => s.labels.queue).sort(), ["active", "backoff", "gated", "unschedulable"]);
    // Process metrics appear once although several components share the process.
    assert.equal(m.find("process_start_time_seconds").length, 1);
  });

  it("kubectl get --raw /metrics reads the server's metrics", { skip: !existsSync(KUBECTL) && `${KUBECTL} is not installed` }, async () => {
    const out = await new Promise<string>((resolve, reject) =>
      execFile(KUBECTL, ["--kubeconfig", server.kubeconfigPath, "--cache-dir", join(dir, "cache"), "get", "--raw", "/metrics"], { env: { ...process.env, HOME: dir }, timeout: 30_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) =>
        err ? reject(new Error(`kubectl failed: ${stderr}`)) : resolve(stdout),
      ),
    );
    const m = parseExposition(out);
    assert.ok(m.value("apiserver_request_total", { verb: "GET", resource: "", code: "200" }) >= 1);
    assert.ok(m.families.has("scheduler_schedule_attempts_total") && m.families.has("workqueue_depth"));
  });

  it("the node agent's /metrics and /metrics/resource report its pods", async () => {
    const m = await waitFor("two running pods on the agent", async () => {
      const s = await scrape(`${agent.url}/metrics`);
      return s.value("kubelet_running_pods") === 2 && s;
    });
    assertFamily(m, "kubelet_running_pods", "gauge");
    assertFamily(m, "kubelet_running_containers", "gauge");
    assertFamily(m, "kubelet_pod_start_duration_seconds", "histogram");
    assertFamily(m, "kubelet_pod_worker_duration_seconds", "histogram");
    assertFamily(m, "process_resident_memory_bytes", "gauge");
    assert.equal(m.value("kubelet_running_containers", { container_state: "running" }), 2);
    assert.equal(m.value("kubelet_node_name", { node: "hollow-node-0" }), 1);
    assert.ok(m.value("kubelet_pod_worker_duration_seconds_count", { operation: "create" }) >= 2);
    const started = await waitFor("both pod starts observed", async () => {
      const s = await scrape(`${agent.url}/metrics`);
      return s.value("kubelet_pod_start_duration_seconds_count") >= 2 && s;
    });
    assert.ok(started.value("kubelet_pod_start_total_duration_seconds_count") >= 2);

    const r = await scrape(`${agent.url}/metrics/resource`);
    for (const [name, type] of [
      ["container_cpu_usage_seconds_total", "counter"],
      ["container_memory_working_set_bytes", "gauge"],
      ["node_cpu_usage_seconds_total", "counter"],
      ["node_memory_working_set_bytes", "gauge"],
    ] as const) {
      assertFamily(r, name, type);
    }
    const direct = r.find("container_memory_working_set_bytes", { pod: "direct", namespace: "default", container: "c" });
    assert.equal(direct.length, 1);
    assert.equal(r.find("node_memory_working_set_bytes").length, 1);
  });
});
