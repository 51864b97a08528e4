// The event recorder every component records through, against a fake API server: what the written Events say
// (kubectl describe finds them by involvedObject), how repeats fold into a count, when a series starts anew, and
// that a failed write is logged without reaching the caller.
import assert from "node:assert/strict";
import { afterEach, beforeEach, it } from "node:test";
import type { KubeObject } from "../api/object.js";
import { errors } from "../machinery/errors.js";
import { silentLogger, type Logger } from "../util/log.js";
import { FakeClock } from "./clock.js";
import { EventRecorder, type EventRecorderOptions } from "./event_recorder.js";
import { resources } from "./resources.js";
import { createClient, type Client } from "./rest_client.js";
import { startFakeApiServer, type FakeApiServer } from "./testing/fake_apiserver.js";

let srv: FakeApiServer;
let client: Client;
beforeEach(async () => {
  srv = await startFakeApiServer();
  client = createClient({ server: srv.url });
});
afterEach(async () => {
  client.close();
  await srv.close();
});

type Ev = KubeObject & {
  reason?: string;
  message?: string;
  type?: string;
  count?: number;
  firstTimestamp?: string;
  lastTimestamp?: string;
  source?: { component?: string; host?: string };
  reportingComponent?: string;
  reportingInstance?: string;
  involvedObject?: Record<string, string | undefined>;
};
const events = (ns = "default"): Ev[] => srv.store.list(srv.store.find("", "events")!, ns) as unknown as Ev[];
const pod = (name: string): KubeObject => ({ metadata: { name, namespace: "default", uid: `uid-${name}`, resourceVersion: "7" } });
const recorder = (o: Partial<EventRecorderOptions> & { clock: FakeClock }): EventRecorder =>
  new EventRecorder({ client, log: silentLogger, component: "default-scheduler", objectKind: { apiVersion: "v1", kind: "Pod" }, ...o });

it("aggregates repeats of an event into one with a count, as kubectl describe shows them", async () => {
  const clock = new FakeClock(Date.UTC(2026, 0, 1, 12, 0, 0));
  const rec = recorder({ clock });
  const p = pod("p");
  rec.event(p, "Warning", "FailedScheduling", "0/1 nodes are available: 1 Insufficient cpu.");
  clock.advance(30_000);
  rec.event(p, "Warning", "FailedScheduling", "0/1 nodes are available: 1 Insufficient cpu.");
  clock.advance(30_000);
  rec.event(p, "Warning", "FailedScheduling", "0/1 nodes are available: 1 Insufficient cpu.");
  rec.event(p, "Warning", "FailedScheduling", "0/1 nodes are available: 1 Insufficient memory.");
  await rec.flush();
  const cpu = events().filter((e) => e.message?.includes("cpu"));
  assert.equal(cpu.length, 1);
  assert.equal(cpu[0]!.count, 3);
  assert.equal(cpu[0]!.firstTimestamp, "2026-01-01T12:00:00Z");
  assert.equal(cpu[0]!.lastTimestamp, "2026-01-01T12:01:00Z");
  assert.equal(cpu[0]!.source?.component, "default-scheduler");
  assert.deepEqual(cpu[0]!.involvedObject, { apiVersion: "v1", kind: "Pod", namespace: "default", name: "p", uid: "uid-p", resourceVersion: "7" });
  assert.match(cpu[0]!.metadata!.name!, /^p\.[0-9a-f]+$/);
  assert.equal(events().length, 2, "a different message is a different event");
  clock.advance(3 * 3600_000);
  rec.event(p, "Warning", "FailedScheduling", "0/1 nodes are available: 1 Insufficient cpu.");
  await rec.flush();
  const later = events().filter((e) => e.message?.includes("cpu"));
  assert.deepEqual(later.map((e) => [e.count, e.firstTimestamp, e.lastTimestamp]), [[4, "2026-01-01T12:00:00Z", "2026-01-01T15:01:00Z"]], "hours later the same series goes on");
});

it("names an object by its own kind, a cluster-scoped one's events going to default; the reporter as configured", async () => {
  const clock = new FakeClock(Date.UTC(2026, 0, 1, 12, 0, 0));
  await client.resource(resources.namespaces).create("", { metadata: { name: "shop" } });
  const controller = recorder({ clock, component: "deployment-controller", objectKind: undefined });
  const deployment: KubeObject = { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "web", namespace: "shop", uid: "u1" } };
  controller.event(deployment, "Normal", "ScalingReplicaSet", "Scaled up replica set web-5d9 from 0 to 3");
  const pv: KubeObject = { apiVersion: "v1", kind: "PersistentVolume", metadata: { name: "pv-1", uid: "u2" } };
  controller.event(pv, "Warning", "VolumeFailedDelete", "no provisioner");
  const agent = recorder({ clock, component: "kubelet", host: "node-1" });
  agent.event(pod("p"), "Normal", "Pulled", 'Container image "busybox" already present on machine');
  await Promise.all([controller.flush(), agent.flush()]);

  const [scaled] = events("shop");
  assert.deepEqual(scaled!.involvedObject, { apiVersion: "apps/v1", kind: "Deployment", namespace: "shop", name: "web", uid: "u1" });
  assert.deepEqual([scaled!.type, scaled!.reason, scaled!.source, scaled!.reportingComponent, scaled!.reportingInstance], ["Normal", "ScalingReplicaSet", { component: "deployment-controller" }, "deployment-controller", ""]);
  const failed = events().find((e) => e.reason === "VolumeFailedDelete")!;
  assert.deepEqual([failed.involvedObject!.kind, failed.involvedObject!.name, failed.involvedObject!.namespace], ["PersistentVolume", "pv-1", undefined]);
  const pulled = events().find((e) => e.reason === "Pulled")!;
  assert.deepEqual([pulled.source, pulled.reportingComponent, pulled.reportingInstance], [{ component: "kubelet", host: "node-1" }, "kubelet", "node-1"]);
});

it("the same reason and message about two objects are two series", async () => {
  const clock = new FakeClock(Date.UTC(2026, 0, 1, 12, 0, 0));
  const rec = recorder({ clock, component: "replicaset-controller", objectKind: undefined });
  const rs = (name: string): KubeObject => ({ apiVersion: "apps/v1", kind: "ReplicaSet", metadata: { name, namespace: "default", uid: `u-${name}` } });
  for (let i = 0; i < 3; i++) for (const name of ["a", "b"]) rec.event(rs(name), "Warning", "FailedCreate", "Error creating: pods \"x\" is forbidden: exceeded quota");
  await rec.flush();
  assert.deepEqual(events().map((e) => [e.involvedObject!.name, e.count]).sort(), [["a", 3], ["b", 3]]);
});

it("a series whose Event was deleted starts again with its count; a failed write is logged, never thrown", async () => {
  const clock = new FakeClock(Date.UTC(2026, 0, 1, 12, 0, 0));
  const warnings: string[] = [];
  const log = { ...silentLogger, warn: (msg: string) => void warnings.push(msg) } as Logger;
  const rec = recorder({ clock, log });
  rec.event(pod("p"), "Warning", "BackOff", "Back-off restarting failed container");
  await rec.flush();
  const first = events()[0]!;
  srv.store.delete(srv.store.find("", "events")!, "default", first.metadata!.name!);
  rec.event(pod("p"), "Warning", "BackOff", "Back-off restarting failed container");
  await rec.flush();
  assert.deepEqual(events().map((e) => [e.metadata!.name, e.count]), [[first.metadata!.name, 2]]);

  srv.injectError({ method: "POST", path: "/events", error: errors.internal("etcd is down") });
  rec.event(pod("q"), "Normal", "Scheduled", "Successfully assigned default/q to n1");
  assert.equal(rec.pending(), 1);
  await rec.flush();
  assert.equal(rec.pending(), 0);
  assert.deepEqual(warnings, ["recording event failed"]);
  assert.equal(events().length, 1, "the failed create left nothing");
});

it("forgets the least recently seen series beyond 4096 (a repeat makes a series recent), so only the others are still counted", async () => {
  const writes: string[] = [];
  // "METHOD pod" per write: the pod is the first part of the event's name (in the body of a create, the path of a bump).
  const counting = {
    request: async (r: { method: string; path: string; body?: { metadata?: { name?: string } } }) => {
      const eventName = r.method === "POST" ? r.body?.metadata?.name : r.path.split("/").at(-1);
      writes.push(`${r.method} ${eventName?.split(".")[0]}`);
    },
  } as unknown as Client;
  const clock = new FakeClock(Date.UTC(2026, 0, 1, 12, 0, 0));
  const rec = recorder({ clock, client: counting });
  const pods = Array.from({ length: 4098 }, (_, i) => pod(`p${i}`));
  const scheduled = (i: number): void => rec.event(pods[i]!, "Normal", "Scheduled", `Successfully assigned default/p${i} to n1`);
  scheduled(0);
  scheduled(1);
  scheduled(2);
  // p0's series is seen again: now more recent than p1's and p2's.
  scheduled(0);
  for (let i = 3; i < 4098; i++) scheduled(i);
  await rec.flush();
  assert.equal(writes.length, 4099);
  assert.deepEqual(writes.filter((w) => !w.startsWith("POST ")), ["PATCH p0"]);
  // 4098 series for 4096 places: the two least recently seen, p1's and p2's, were forgotten.
  writes.length = 0;
  scheduled(0);
  scheduled(3);
  // A new series again for p1, forgetting p4's, now the least recently seen.
  scheduled(1);
  scheduled(4);
  await rec.flush();
  assert.deepEqual(writes.sort(), ["PATCH p0", "PATCH p3", "POST p1", "POST p4"]);
  // Repeats far beyond the queue's size (its stale entries are dropped) keep the same series counted.
  writes.length = 0;
  for (let round = 0; round < 3; round++) for (let i = 4090; i < 4098; i++) for (let k = 0; k < 1000; k++) scheduled(i);
  await rec.flush();
  assert.equal(writes.length, 24_000);
  assert.ok(writes.every((w) => w.startsWith("PATCH ")));
});
