// For tests: a k8ts server with hollow nodes whose agent endpoints listen on loopback (their InternalIPs are not
// routable), the metrics server scraping them every 500 ms and the HPA syncing every second (both settable), driven by
// a real kubectl. bench/autoscaling uses it too.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient, type Client } from "../client/rest_client.js";
import { HollowNodes } from "../kubelet/hollow_nodes.js";
import { startKubeletServer, type KubeletServer } from "../kubelet/kubelet_server.js";
import { silentLogger } from "../util/log.js";
import { startServer, type RunningServer } from "./server.js";

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Polls fn until it answers something truthy; throws naming `what` and the last answer or error after maxMs. */
export async function pollUntil<T>(what: string, fn: () => Promise<T | undefined | false>, opts: { maxMs?: number; intervalMs?: number } = {}): Promise<T> {
  const end = Date.now() + (opts.maxMs ?? 120_000);
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
      last = v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 250));
  }
}

export interface HollowServer {
  dir: string;
  server: RunningServer;
  client: Client;
  sim: HollowNodes;
  /** Runs kubectl against the server (stdin from `input` when given); never throws on a non-zero exit. */
  kubectl(args: string[], input?: string): Promise<Run>;
  stop(): Promise<void>;
}

/** The stdout of a kubectl run, failing the test with its stderr when it did not exit 0. */
export function okOutput(r: Run): string {
  assert.equal(r.code, 0, `kubectl failed: ${r.stderr}`);
  return r.stdout;
}

export interface HollowServerOptions {
  prefix: string;
  /** The kubectl binary `kubectl()` runs (default: the one on PATH). */
  kubectl?: string;
  /** The metrics server's scrape interval (default 500 ms) and the HPA's sync period (default 1 s). */
  scrapeIntervalMs?: number;
  hpaSyncPeriodMs?: number;
  /** How many hollow nodes, and the capacity of each (default 2 nodes of 8 CPU, 16Gi, 50 pods). */
  nodes?: number;
  capacity?: Record<string, string>;
}

export async function startHollowServer(opts: HollowServerOptions): Promise<HollowServer> {
  const dir = await mkdtemp(join(tmpdir(), opts.prefix));
  const urls = new Map<string, string>();
  const server = await startServer({
    dataDir: dir,
    port: 0,
    logger: silentLogger,
    metrics: { scrapeIntervalMs: opts.scrapeIntervalMs ?? 500, nodeUrl: (n) => urls.get(n.name) },
    controllerManager: { horizontalPodAutoscaler: { syncPeriodMs: opts.hpaSyncPeriodMs ?? 1000 } },
  });
  const client = createClient({ server: server.url });
  const sim = new HollowNodes({ client, count: opts.nodes ?? 2, capacity: opts.capacity ?? { cpu: "8", memory: "16Gi", pods: "50" } });
  const endpoints: KubeletServer[] = [];
  for (const [i, kubelet] of sim.kubelets.entries()) {
    const ep = await startKubeletServer(kubelet, { host: "127.0.0.1", port: 0 });
    endpoints.push(ep);
    urls.set(`hollow-node-${i}`, ep.url);
  }
  const ac = new AbortController();
  const running = sim.run(ac.signal);
  return {
    dir,
    server,
    client,
    sim,
    kubectl: (args, input) =>
      new Promise((resolve) => {
        const child = execFile(opts.kubectl ?? "kubectl", ["--kubeconfig", server.kubeconfigPath, "--cache-dir", join(dir, "cache"), ...args], { env: { ...process.env, HOME: dir }, timeout: 30_000 }, (err, stdout, stderr) =>
          resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
        );
        if (input !== undefined) child.stdin!.end(input);
      }),
    async stop() {
      ac.abort();
      await running;
      for (const ep of endpoints) await ep.close();
      client.close();
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
