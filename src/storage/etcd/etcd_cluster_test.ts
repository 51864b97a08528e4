// A 3-member etcd cluster on loopback: the member the store talks to is SIGKILLed while a writer and a watch run.
// Writes must go on through the other members and the watch must resume there with every event exactly once.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { isStorageError } from "../errors.js";
import type { KeyValue, WatchEvent } from "../types.js";
import { createLogger } from "../../util/log.js";
import { EtcdStorage, openEtcdStorage } from "./etcd_storage.js";
import { startEtcd, type EtcdCluster } from "./testing.js";

const WAIT_MS = 60_000;

async function waitFor(pred: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!pred()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Creates `key`; a write whose outcome is unknown (member died mid-request) is resolved by reading it back. */
async function createSurely(store: EtcdStorage, key: string, value: string): Promise<KeyValue> {
  let uncertain = false;
  for (let attempt = 0; ; attempt++) {
    try {
      return await store.create(key, value);
    } catch (err) {
      // KeyExists after an uncertain attempt: that attempt was applied after all.
      if (attempt > 20 || !(isStorageError(err, "Unavailable") || (uncertain && isStorageError(err, "KeyExists")))) throw err;
      uncertain = true;
      const cur = await store.get(key);
      if (cur) {
        assert.equal(cur.value, value);
        return cur;
      }
    }
  }
}

describe("etcd backend on a 3-member cluster", { timeout: 180_000 }, () => {
  let cluster: EtcdCluster;
  let store: EtcdStorage;

  before(async () => {
    cluster = await startEtcd({ members: 3 });
    store = (await openEtcdStorage({ endpoints: cluster.endpoints, retryBudgetMs: 60_000, logger: process.env.K8TS_TEST_LOG ? createLogger({ level: "debug" }) : undefined })) as EtcdStorage;
  });

  after(async () => {
    await store?.close();
    await cluster?.stop();
  });

  it("keeps writing and watching without gaps or duplicates when the connected member is killed", async () => {
    const since = await store.currentRevision();
    const events: WatchEvent[] = [];
    const errors: Error[] = [];
    const watch = store.watch("/cluster/", { sinceRevision: since, onEvents: (evs) => events.push(...evs), onError: (e) => errors.push(e) });
    const acked: KeyValue[] = [];
    try {
      // The writer keeps going while the member dies, so a write may be in flight at that moment.
      const writer = (async () => {
        for (let i = 0; i < 160; i++) acked.push(await createSurely(store, `/cluster/k${String(i).padStart(3, "0")}`, `v${i}`));
      })();
      await waitFor(() => acked.length >= 60 && events.length >= 30, "the first writes and events");
      const victim = cluster.endpoints.indexOf(store.currentEndpoint());
      assert.ok(victim >= 0);
      await cluster.kill(victim);
      await writer;

      // Updates and deletes after the failover, so the watch sees every event type.
      const upd = await store.update(acked[0]!.key, "changed", { expectedRevision: acked[0]!.modRevision });
      const del = await store.delete(acked[1]!.key);
      acked.push(upd, del);
      assert.notEqual(store.currentEndpoint(), cluster.endpoints[victim], "the store moved to a live member");

      const last = del.modRevision;
      await waitFor(() => errors.length > 0 || events.some((e) => e.kv.modRevision >= last), `the event at revision ${last}`);
      assert.deepEqual(errors.map((e) => e.message), []);
      const revs = events.map((e) => e.kv.modRevision);
      // Only this test writes, so the store's revisions since `since` are exactly this test's writes.
      const expected = Array.from({ length: last - since }, (_, i) => since + 1 + i);
      assert.deepEqual(revs, expected, "every revision once, in order");
      assert.deepEqual(new Set(revs), new Set(acked.map((kv) => kv.modRevision)), "the events are exactly the acknowledged writes");
      assert.equal(events.at(-2)!.type, "update");
      assert.equal(events.at(-1)!.type, "delete");
      assert.equal(events.filter((e) => e.type === "create").length, 160);

      const listed = await store.list("/cluster/");
      assert.equal(listed.items.length, 159);
      assert.equal(listed.revision, last);
    } finally {
      watch.stop();
    }
  });

  it("a watch started after the failure and reads keep working on the surviving members", async () => {
    const since = await store.currentRevision();
    const seen: WatchEvent[] = [];
    const watch = store.watch("/after/", { sinceRevision: since, onEvents: (evs) => seen.push(...evs), onError: () => {} });
    try {
      const kv = await createSurely(store, "/after/x", "1");
      await waitFor(() => seen.length === 1, "the event after the failover");
      assert.equal(seen[0]!.kv.modRevision, kv.modRevision);
      assert.equal((await store.get("/after/x"))?.value, "1");
    } finally {
      watch.stop();
    }
  });
});
