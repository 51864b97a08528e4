import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, it } from "node:test";
import type { KubeObject } from "../api/object.js";
import { createClient } from "../client/rest_client.js";
import { resources } from "../client/resources.js";
import { hollowClient } from "./hollow_client.js";

/** A loopback HTTP server that holds every request for holdMs, recording arrival order and peak concurrency. */
async function slowServer(holdMs: number): Promise<{ url: string; arrivals: string[]; peak: () => number; close: () => Promise<void> }> {
  const arrivals: string[] = [];
  let open = 0;
  let peak = 0;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    arrivals.push(`${req.method} ${req.url?.split("?")[0]}`);
    peak = Math.max(peak, ++open);
    req.resume();
    req.on("end", () =>
      setTimeout(() => {
        open--;
        res.writeHead(200, { "Content-Type": "application/json" });
        res.end(JSON.stringify({ apiVersion: "v1", kind: "Status", metadata: {} }));
      }, holdMs),
    );
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    arrivals,
    peak: () => peak,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

describe("hollow node client", () => {
  it("keeps requests in flight within its bound, shares its slots by turns between heartbeats, pod work and events, drops events beyond its queue", async () => {
    const srv = await slowServer(20);
    const inner = createClient({ server: srv.url });
    const client = hollowClient(inner, { maxInFlight: 3, maxQueuedEvents: 5 });
    try {
      const event = (i: number): KubeObject => ({ apiVersion: "v1", kind: "Event", metadata: { name: `e${i}`, namespace: "default" } });
      const events = client.resource(resources.events);
      const pods = client.resource(resources.pods);
      const leases = client.resource(resources.leases);
      // All at once: 20 events first (3 start, 5 may wait, 12 are dropped), then 10 pod status patches, then 5
      // Lease reads.
      const eventWrites = Array.from({ length: 20 }, (_, i) => events.create("default", event(i)).then(() => "sent", () => "dropped"));
      const podWrites = Array.from({ length: 10 }, (_, i) => pods.patch("default", `p${i}`, "merge", { status: {} }, { subresource: "status" }));
      const leaseReads = Array.from({ length: 5 }, (_, i) => leases.get("kube-node-lease", `n${i}`));
      assert.deepEqual(client.stats().queued, [5, 10, 5]);
      const outcomes = await Promise.all(eventWrites);
      await Promise.all([...podWrites, ...leaseReads]);

      assert.equal(outcomes.filter((o) => o === "sent").length, 8);
      assert.equal(client.stats().droppedEvents, 12);
      assert.equal(srv.peak(), 3, "never more than 3 requests at the server at once");
      assert.equal(srv.arrivals.length, 8 + 10 + 5);
      // After the three that started at once, the waiting requests went out by turns: odd turns to heartbeats, even
      // ones to pod work, every 8th to an Event; a class with nothing waiting gives its turn away.
      const kinds = srv.arrivals.map((a) => (a.includes("/leases/") ? "lease" : a.includes("/pods/") ? "pod" : "event"));
      const expected = ["event", "event", "event", "pod", "lease", "pod", "lease", "event", "lease", "pod", "lease", "pod", "lease", "pod", "pod", "event", "pod", "pod", "pod", "pod", "event", "event", "event"];
      assert.deepEqual(kinds, expected);
      assert.deepEqual(client.stats().queued, [0, 0, 0]);
      assert.equal(client.stats().inFlight, 0);
    } finally {
      client.close();
      await srv.close();
    }
  });

  it("answers failures of the request itself to its caller and keeps going", async () => {
    const srv = await slowServer(1);
    await srv.close();
    // Nothing listens there any more: every request fails on the connection, and none is left holding a slot.
    const client = hollowClient(createClient({ server: srv.url }), { maxInFlight: 2 });
    try {
      const results = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => client.resource(resources.nodes).get(undefined, `n${i}`)));
      assert.equal(results.filter((r) => r.status === "rejected").length, 6);
      assert.equal(client.stats().inFlight, 0);
      assert.equal(client.stats().sent, 6);
    } finally {
      client.close();
    }
  });
});
