// The CronJob controller against the fake API server over real HTTP, on a fake clock the test moves forward.
import { test } from "node:test";
import assert from "node:assert/strict";
import { FakeClock } from "../../client/clock.js";
import { SharedInformerFactory } from "../../client/informer_factory.js";
import { createClient, type Client } from "../../client/rest_client.js";
import { resources } from "../../client/resources.js";
import { startFakeApiServer } from "../../client/testing/fake_apiserver.js";
import { startController } from "../types.js";
import { CronJobController, type CronJobObject, type JobObject } from "./cronjob_controller.js";
import { newCronJob } from "./testing.js";

const MIN = 60_000;

async function setup(t: { after(fn: () => unknown): void }) {
  const srv = await startFakeApiServer();
  const client = createClient({ server: srv.url });
  // Start on a minute boundary a little in the past, so the API server's creationTimestamp is not ahead of it.
  const clock = new FakeClock(Math.floor(Date.now() / MIN) * MIN + 1000);
  const informers = new SharedInformerFactory({ client, clock });
  const ctrl = startController(new CronJobController({ client, informers, clock }));
  t.after(async () => {
    await ctrl.stop();
    client.close();
    await srv.close();
  });
  return { srv, client, clock };
}

async function jobNames(client: Client, cj: string): Promise<string[]> {
  const items = (await client.resource<JobObject>(resources.jobs).list("default")).items;
  return items.filter((j) => j.metadata?.ownerReferences?.[0]?.name === cj).map((j) => j.metadata!.name!).sort();
}

/** Moves the fake clock a second at a time (letting real I/O happen in between) until cond holds. */
async function advanceUntil(clock: FakeClock, cond: () => Promise<boolean>, what: string, maxFakeMs = 3 * MIN): Promise<void> {
  for (let moved = 0; ; moved += 1000) {
    if (await cond()) return;
    if (moved > maxFakeMs) throw new Error(`fake time ran out waiting for ${what}`);
    clock.advance(1000);
    await new Promise((r) => setTimeout(r, 15));
  }
}

async function createCronJob(client: Client, name: string, spec: Partial<CronJobObject["spec"]>): Promise<void> {
  const cj = newCronJob(name, { schedule: "* * * * *", ...spec });
  await client.resource<CronJobObject>(resources.cronjobs).create("default", { ...cj, metadata: { name, namespace: "default" }, status: undefined });
}

test("Replace: each minute a new Job replaces the one still running", async (t) => {
  const { client, clock } = await setup(t);
  await createCronJob(client, "rep", { concurrencyPolicy: "Replace" });
  await advanceUntil(clock, async () => (await jobNames(client, "rep")).length === 1, "the first job");
  const [first] = await jobNames(client, "rep");
  const firstMinute = Number(first!.split("-")[1]);
  await advanceUntil(clock, async () => (await jobNames(client, "rep"))[0] !== first, "the replacement");
  assert.deepEqual(await jobNames(client, "rep"), [`rep-${firstMinute + 1}`], "the running job was deleted, the next one created");
  const cj = await client.resource<CronJobObject>(resources.cronjobs).get("default", "rep");
  assert.deepEqual(cj.status?.active?.map((r) => r.name), [`rep-${firstMinute + 1}`]);
  assert.equal(cj.status?.lastScheduleTime, new Date((firstMinute + 1) * MIN).toISOString().replace(".000Z", "Z"));
});

test("Forbid: no second Job while the first runs; when it completes, the next run starts", async (t) => {
  const { client, clock } = await setup(t);
  await createCronJob(client, "fbd", { concurrencyPolicy: "Forbid" });
  await advanceUntil(clock, async () => (await jobNames(client, "fbd")).length === 1, "the first job");
  const [first] = await jobNames(client, "fbd");
  // Two more minutes pass: both runs are skipped.
  clock.advance(2 * MIN);
  await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(await jobNames(client, "fbd"), [first]);
  const events = (await client.resource(resources.events).list("default")).items as Array<{ reason?: string }>;
  assert.ok(events.some((e) => e.reason === "JobAlreadyActive"));
  // Play the Job controller: the first Job completes.
  const now = new Date(clock.now()).toISOString().replace(/\.\d+Z$/, "Z");
  await client.resource<JobObject>(resources.jobs).patch("default", first!, "merge", { status: { startTime: now, completionTime: now, succeeded: 1, conditions: [{ type: "Complete", status: "True" }] } }, { subresource: "status" });
  await advanceUntil(clock, async () => (await jobNames(client, "fbd")).length === 2, "the next run");
  const cj = await client.resource<CronJobObject>(resources.cronjobs).get("default", "fbd");
  assert.equal(cj.status?.lastSuccessfulTime, now);
  assert.equal(cj.status?.active?.length, 1);
});
