// A node agent on a fake clock against the fake API server, for tests: one hollow node, a way to let the agent
// settle between clock steps, and a poll that advances the clock until a condition on the API holds.
import type { Pod } from "kubernetes-types/core/v1.js";
import { FakeClock } from "../client/clock.js";
import { createClient, type Client } from "../client/rest_client.js";
import { startFakeApiServer, type FakeApiServer } from "../client/testing/fake_apiserver.js";
import { resources } from "../client/resources.js";
import { Kubelet, type KubeletOptions } from "./kubelet.js";
import { SimulatedProber } from "./runtime/simulated/simulated_prober.js";
import { SimulatedRuntime } from "./runtime/simulated/simulated_runtime.js";
import type { PodObject } from "./types.js";

export interface AgentHarness {
  server: FakeApiServer;
  client: Client;
  clock: FakeClock;
  runtime: SimulatedRuntime;
  kubelet: Kubelet;
  /** Starts (or restarts, with a fresh Kubelet on the same runtime) the agent. */
  start(): void;
  /** Stops the agent (the runtime and its sandboxes stay, as containers outlive a kubelet restart). */
  stop(): Promise<void>;
  /** Lets pending work finish without moving the clock. */
  settle(): Promise<void>;
  /** Advances the clock in steps, settling after each, until cond holds; fails after maxMs of fake time. */
  until(what: string, cond: () => boolean | Promise<boolean>, opts?: { stepMs?: number; maxMs?: number }): Promise<void>;
  pod(name: string, ns?: string): Pod | undefined;
  createPod(pod: Pod): Promise<Pod>;
  close(): Promise<void>;
}

const realPause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function startAgentHarness(opts: Partial<KubeletOptions> = {}): Promise<AgentHarness> {
  const server = await startFakeApiServer();
  const client = createClient({ server: server.url });
  const clock = new FakeClock();
  const runtime = (opts.runtime as SimulatedRuntime | undefined) ?? new SimulatedRuntime({ clock, fallbackPodCIDR: "10.244.1.0/24" });
  let ac = new AbortController();
  let done: Promise<void> = Promise.resolve();
  const make = (): Kubelet =>
    new Kubelet({ client, nodeName: "node-1", runtime, prober: new SimulatedProber(clock), node: { address: "10.0.0.1" }, clock, ...opts });
  const h: AgentHarness = {
    server,
    client,
    clock,
    runtime,
    kubelet: make(),
    start() {
      ac = new AbortController();
      h.kubelet = make();
      done = h.kubelet.run(ac.signal);
    },
    async stop() {
      ac.abort();
      await done;
    },
    async settle() {
      // Idle several times in a row: status writes come back as watch events that queue more work.
      let quiet = 0;
      for (let i = 0; i < 2000 && quiet < 4; i++) {
        await realPause(2);
        quiet = h.kubelet.idle() ? quiet + 1 : 0;
      }
    },
    async until(what, cond, o = {}) {
      const step = o.stepMs ?? 1000;
      const max = o.maxMs ?? 600_000;
      for (let t = 0; t <= max; t += step) {
        await h.settle();
        if (await cond()) return;
        clock.advance(step);
      }
      throw new Error(`timed out (fake ${max} ms) waiting for ${what}`);
    },
    pod(name, ns = "default") {
      try {
        return server.store.get(resources.pods, ns, name) as Pod;
      } catch {
        return undefined;
      }
    },
    createPod: (pod) => client.resource<PodObject>(resources.pods).create(pod.metadata?.namespace ?? "default", pod as PodObject),
    async close() {
      await h.stop();
      client.close();
      await server.close();
    },
  };
  return h;
}
