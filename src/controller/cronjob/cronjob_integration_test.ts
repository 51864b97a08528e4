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

async function until(cond: () => Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
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
  const [second] = await jobNames(client, "rep");
  assert.deepEqual(await jobNames(client, "rep"), [second], "the running job was deleted, the next one created");
  const secondMinute = Number(second!.split("-")[1]);
  assert.ok(secondMinute > firstMinute);
  await until(async () => {
    const cj = await client.resource<CronJobObject>(resources.cronjobs).get("default", "rep");
    return cj.status?.active?.map((r) => r.name).join() === second && cj.status?.lastScheduleTime === new Date(secondMinute * MIN).toISOString().replace(".000Z", "Z");
  }, "status naming the replacement");
});

test("Forbid: no second Job while the first runs; when it completes, the next run starts", async (t) => {
  const { client, clock } = await setup(t);
  await createCronJob(client, "fbd", { concurrencyPolicy: "Forbid" });
  await advanceUntil(clock, async () => (await jobNames(client, "fbd")).length === 1, "the first job");
  const [first] = await jobNames(client, "fbd");
  // Two more minutes pass: both runs are skipped.
  clock.advance(2 * MIN);
  await until(async () => ((await client.resource(resources.events).list("default")).items as Array<{ reason?: string }>).some((e) => e.reason === "JobAlreadyActive"), "the JobAlreadyActive event");
  assert.deepEqual(await jobNames(client, "fbd"), [first]);
  // Play the Job controller: the first Job completes.
  const now = new Date(clock.now()).toISOString().replace(/\.\d+Z$/, "Z");
  await client.resource<JobObject>(resources.jobs).patch("default", first!, "merge", { status: { startTime: now, completionTime: now, succeeded: 1, conditions: [{ type: "Complete", status: "True" }] } }, { subresource: "status" });
  await advanceUntil(clock, async () => (await jobNames(client, "fbd")).length === 2, "the next run");
  await until(async () => {
    const cj = await client.resource<CronJobObject>(resources.cronjobs).get("default", "fbd");
    return cj.status?.lastSuccessfulTime === now && cj.status.active?.length === 1;
  }, "lastSuccessfulTime and the new active run");
});
