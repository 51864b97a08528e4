import assert from "node:assert/strict";
import { afterEach, beforeEach, it } from "node:test";
import { FakeClock } from "../client/clock.js";
import { silentLogger } from "../util/log.js";
import type { Client } from "../client/rest_client.js";
import { EventRecorder } from "./events.js";
import { makePod } from "./testing/builders.js";
import { startFakeCluster, type FakeCluster } from "./testing/fake_cluster.js";

let cluster: FakeCluster;
beforeEach(async () => {
  cluster = await startFakeCluster();
});
afterEach(async () => {
  await cluster.close();
});

type Ev = { reason?: string; message?: string; count?: number; firstTimestamp?: string; lastTimestamp?: string; source?: { component?: string }; involvedObject?: { name?: string; kind?: string } };

it("aggregates repeats of an event into one with a count, as kubectl describe shows them", async () => {
  const clock = new FakeClock(Date.UTC(2026, 0, 1, 12, 0, 0));
  const rec = new EventRecorder({ client: cluster.client, clock, log: silentLogger, component: "default-scheduler" });
  const pod = makePod("p");
  rec.record(pod, "Warning", "FailedScheduling", "0/1 nodes are available: 1 Insufficient cpu.");
  clock.advance(30_000);
  rec.record(pod, "Warning", "FailedScheduling", "0/1 nodes are available: 1 Insufficient cpu.");
  clock.advance(30_000);
  rec.record(pod, "Warning", "FailedScheduling", "0/1 nodes are available: 1 Insufficient cpu.");
  rec.record(pod, "Warning", "FailedScheduling", "0/1 nodes are available: 1 Insufficient memory.");
  await rec.flush();
  const events = () => cluster.server.store.list(cluster.server.store.find("", "events")!, "default") as unknown as Ev[];
  const cpu = events().filter((e) => e.message?.includes("cpu"));
  assert.equal(cpu.length, 1);
  assert.equal(cpu[0]!.count, 3);
  assert.equal(cpu[0]!.firstTimestamp, "2026-01-01T12:00:00Z");
  assert.equal(cpu[0]!.lastTimestamp, "2026-01-01T12:01:00Z");
  assert.equal(cpu[0]!.source?.component, "default-scheduler");
  assert.deepEqual([cpu[0]!.involvedObject?.kind, cpu[0]!.involvedObject?.name], ["Pod", "p"]);
  assert.equal(events().length, 2, "a different message is a different event");
  clock.advance(11 * 60_000);
  rec.record(pod, "Warning", "FailedScheduling", "0/1 nodes are available: 1 Insufficient cpu.");
  await rec.flush();
  assert.equal(events().filter((e) => e.message?.includes("cpu")).length, 2, "after ten minutes a new series starts");
});

it("forgets the oldest series beyond 4096 (a series restarted under its key counts as new), so only newer ones are still counted", async () => {
  const writes: string[] = [];
  // "METHOD pod" per write: the pod is the first part of the event's name (in the body of a create, the path of a bump).
  const client = {
    request: async (r: { method: string; path: string; body?: { metadata?: { name?: string } } }) => {
      const eventName = r.method === "POST" ? r.body?.metadata?.name : r.path.split("/").at(-1);
      writes.push(`${r.method} ${eventName?.split(".")[0]}`);
    },
  } as unknown as Client;
  const clock = new FakeClock(Date.UTC(2026, 0, 1, 12, 0, 0));
  const rec = new EventRecorder({ client, clock, log: silentLogger, component: "default-scheduler" });
  const pods = Array.from({ length: 4098 }, (_, i) => makePod(`p${i}`));
  const scheduled = (i: number): void => rec.record(pods[i]!, "Normal", "Scheduled", `Successfully assigned default/p${i} to n1`);
  scheduled(0);
  clock.advance(11 * 60_000);
  scheduled(1);
  scheduled(2);
  // p0's series is past the aggregation window: it starts again, newer than p1's and p2's.
  scheduled(0);
  for (let i = 3; i < 4098; i++) scheduled(i);
  await rec.flush();
  assert.equal(writes.length, 4099);
  assert.ok(writes.every((w) => w.startsWith("POST ")));
  // 4098 series for 4096 places: the two oldest, p1's and p2's, were forgotten.
  writes.length = 0;
  scheduled(0);
  scheduled(1);
  scheduled(3);
  await rec.flush();
  assert.deepEqual(writes.sort(), ["PATCH p0", "PATCH p3", "POST p1"]);
});
