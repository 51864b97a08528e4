// `k8ts scheduler` and `k8ts controller-manager` as their own processes serve /metrics on --metrics-bind-address,
// and the counters there move as they work against a real API server.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { KubeObject } from "../api/object.js";
import { createClient, type Client } from "../client/rest_client.js";
import { resources } from "../client/resources.js";
import { startServer, type RunningServer } from "../daemons/server.js";
import type { Node, Pod } from "../scheduler/framework/api_types.js";
import { forCreate, makeNode, makePod } from "../scheduler/testing/builders.js";
import { silentLogger } from "../util/log.js";
import { parseControllerManagerFlags } from "./controller_manager_command.js";
import { parseProxyFlags } from "./proxy_command.js";
import { parseSchedulerFlags } from "./scheduler_command.js";
import { scrape, type Exposition } from "../util/metrics/testing/scrape.js";

/** Starts `k8ts <args>` from source and resolves with the child and the metrics URL its log announces. */
async function startCommand(args: string[]): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", "-e", `import("./src/cli/main.ts").then(async (m) => { process.exitCode = await m.main(${JSON.stringify(args)}); })`], {
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, K8TS_LOG_LEVEL: "info" },
  });
  let err = "";
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr!.on("data", (c: Buffer) => {
      err += c.toString();
      const m = /"msg":"serving metrics"[^\n]*"url":"([^"]+)"/.exec(err);
      if (m) resolve(m[1]!);
    });
    child.once("exit", (code) => reject(new Error(`k8ts ${args[0]} exited early (${code}): ${err}`)));
  });
  return { child, url };
}

async function stopCommand(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  child.kill("SIGTERM");
  const [code] = (await once(child, "exit")) as [number | null];
  return code;
}

async function until(what: string, url: string, check: (m: Exposition) => boolean): Promise<Exposition> {
  const end = Date.now() + 120_000;
  for (;;) {
    const m = await scrape(url);
    if (check(m)) return m;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("--metrics-bind-address flags", () => {
  it("take HOST:PORT or 0 and refuse anything else", () => {
    assert.equal(parseSchedulerFlags(["--metrics-bind-address", "127.0.0.1:10259"]).metricsBindAddress, "127.0.0.1:10259");
    assert.equal(parseSchedulerFlags(["--metrics-bind-address=0"]).metricsBindAddress, "0");
    assert.equal(parseControllerManagerFlags(["--metrics-bind-address", "[::1]:10257"]).metricsBindAddress, "[::1]:10257");
    assert.equal(parseProxyFlags(["--metrics-bind-address", "127.0.0.1:10249"]).metricsBindAddress, "127.0.0.1:10249");
    assert.throws(() => parseSchedulerFlags(["--metrics-bind-address", "10259"]), /want HOST:PORT/);
    assert.throws(() => parseControllerManagerFlags(["--metrics-bind-address", "localhost"]), /want HOST:PORT/);
  });
});

describe("component metrics endpoints", () => {
  let dir: string;
  let server: RunningServer;
  let client: Client;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "k8ts-metrics-cli-"));
    server = await startServer({ dataDir: dir, port: 0, logger: silentLogger, controllers: false, scheduler: false, metrics: false });
    client = createClient({ server: server.url });
  });

  after(async () => {
    client?.close();
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("k8ts scheduler --metrics-bind-address counts the pods it schedules", async () => {
    const { child, url } = await startCommand(["scheduler", "--server", server.url, "--leader-elect=false", "--metrics-bind-address", "127.0.0.1:0"]);
    try {
      const nodes = client.resource<Node & KubeObject>(resources.nodes);
      const node = makeNode("m1");
      const created = await nodes.create(undefined, forCreate(node));
      if (!created.status?.allocatable) await nodes.updateStatus(undefined, { ...created, status: node.status });
      await client.resource<Pod & KubeObject>(resources.pods).create("default", forCreate(makePod("p1")));
      const m = await until("a scheduled attempt", url, (s) => s.value("scheduler_schedule_attempts_total", { result: "scheduled", profile: "default-scheduler" }) >= 1);
      assert.equal(m.families.get("scheduler_scheduling_attempt_duration_seconds")?.type, "histogram");
      assert.equal(m.find("scheduler_pending_pods").length, 4);
      assert.ok(m.value("process_resident_memory_bytes") > 0);
      assert.equal((await fetch(url.replace(/\/metrics$/, "/healthz"))).status, 200);
    } finally {
      assert.equal(await stopCommand(child), 0);
    }
  });

  it("k8ts controller-manager --metrics-bind-address reports its work queues", async () => {
    const { child, url } = await startCommand(["controller-manager", "--server", server.url, "--leader-elect=false", "--controllers", "replicaset", "--metrics-bind-address", "127.0.0.1:0"]);
    try {
      await client.resource(resources.replicasets).create("default", {
        apiVersion: "apps/v1",
        kind: "ReplicaSet",
        metadata: { name: "cm" },
        spec: { replicas: 1, selector: { matchLabels: { app: "cm" } }, template: { metadata: { labels: { app: "cm" } }, spec: { containers: [{ name: "c", image: "nginx:1.27" }] } } },
      });
      const m = await until("the ReplicaSet synced", url, (s) => s.value("workqueue_work_duration_seconds_count", { name: "replicasets" }) >= 1);
      assert.ok(m.value("workqueue_adds_total", { name: "replicasets" }) >= 1);
      assert.equal(m.families.get("workqueue_depth")?.type, "gauge");
      assert.equal(m.families.get("workqueue_queue_duration_seconds")?.type, "histogram");
      assert.equal(m.find("workqueue_depth", { name: "replicasets" }).length, 1);
    } finally {
      assert.equal(await stopCommand(child), 0);
    }
  });
});
