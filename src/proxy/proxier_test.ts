import { test } from "node:test";
import assert from "node:assert/strict";
import { resources } from "../client/resources.js";
import { createClient } from "../client/rest_client.js";
import { startFakeApiServer } from "../client/testing/fake_apiserver.js";
import { Proxier } from "./proxier.js";
import { service, slice } from "./testing.js";
import type { CommandRunner, ProxyState, RuleBackend } from "./types.js";

/** A backend that records what it was asked to apply and can be told to fail. */
class RecordingBackend implements RuleBackend {
  readonly mode = "iptables" as const;
  applied: ProxyState[] = [];
  failNext = 0;
  async apply(state: ProxyState): Promise<void> {
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error("iptables-restore exited 4: resource problem");
    }
    this.applied.push(state);
  }
  async cleanup(): Promise<void> {}
}

async function waitFor(what: string, cond: () => boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function setup() {
  const server = await startFakeApiServer();
  const client = createClient({ server: server.url });
  const backend = new RecordingBackend();
  const commands: string[][] = [];
  const runner: CommandRunner = { run: async (argv) => (commands.push(argv), { code: 0, stdout: "1\n", stderr: "" }) };
  const errors: Error[] = [];
  const proxier = new Proxier({ client, nodeName: "n1", backend, runner, minSyncIntervalMs: 20, onSync: (r) => r.error && errors.push(r.error) });
  const ac = new AbortController();
  const done = proxier.run(ac.signal);
  return {
    server,
    backend,
    commands,
    errors,
    last: () => backend.applied.at(-1),
    stop: async () => {
      ac.abort();
      await done;
      client.close();
      await server.close();
    },
  };
}

test("the proxier applies the services and endpoint slices it watches, and follows their changes", async () => {
  const t = await setup();
  try {
    await waitFor("first sync", () => t.backend.applied.length > 0);
    assert.deepEqual(t.last()!.ports, []);
    t.server.store.create(resources.services, "default", service("dns", { clusterIP: "10.96.0.10", ports: [{ name: "dns", port: 53, protocol: "UDP" }] }));
    t.server.store.create(resources.endpointslices, "default", slice("dns", [{ name: "dns", port: 53, protocol: "UDP" }], [{ ip: "10.244.1.2" }, { ip: "10.244.1.3" }]));
    await waitFor("two endpoints", () => t.last()?.ports[0]?.endpoints.length === 2);
    t.server.store.update(resources.endpointslices, "default", "dns-abc12", slice("dns", [{ name: "dns", port: 53, protocol: "UDP" }], [{ ip: "10.244.1.3" }]));
    await waitFor("one endpoint", () => t.last()?.ports[0]?.endpoints.length === 1);
    // The UDP endpoint that went away has its conntrack entries flushed.
    assert.ok(t.commands.some((c) => c.join(" ") === "conntrack -D -p udp --orig-dst 10.96.0.10 --dst-nat 10.244.1.2"), JSON.stringify(t.commands));
    t.server.store.delete(resources.services, "default", "dns");
    await waitFor("service gone", () => t.last()?.ports.length === 0);
  } finally {
    await t.stop();
  }
});

test("a failed apply is retried until it succeeds", async () => {
  const t = await setup();
  try {
    await waitFor("first sync", () => t.backend.applied.length > 0);
    t.backend.failNext = 2;
    t.server.store.create(resources.services, "default", service("web", { clusterIP: "10.96.0.11", ports: [{ port: 80 }] }));
    await waitFor("service applied after failures", () => t.last()?.ports.length === 1);
    assert.equal(t.errors.length, 2);
  } finally {
    await t.stop();
  }
});
