import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { DatastoreUrlError, parseDatastoreUrl } from "./datastore_url.js";
import { startEtcd, type EtcdCluster } from "./etcd/testing.js";
import { openStorage } from "./factory.js";
import { silentLogger } from "../util/log.js";

describe("openStorage", { timeout: 60_000 }, () => {
  let dir: string;
  let etcd: EtcdCluster;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "k8ts-factory-"));
    etcd = await startEtcd({ members: 1 });
  });

  after(async () => {
    await etcd?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("rejects a malformed datastore URL with a DatastoreUrlError naming the accepted forms", () => {
    for (const bad of ["mysql://x", "sqlite://relative.db", "etcd://", "etcd://host", "/var/lib/state.db"]) {
      assert.throws(() => parseDatastoreUrl(bad), (err: unknown) => {
        assert.ok(err instanceof DatastoreUrlError, `${bad}: ${String(err)}`);
        assert.match(err.message, /sqlite:\/\/\/absolute\/path/);
        assert.ok(err.message.includes(JSON.stringify(bad)), `${bad}: the message names the bad URL: ${err.message}`);
        return true;
      });
    }
  });

  it("opens SQLite from a sqlite:/// URL and keeps data across reopen", async () => {
    const config = parseDatastoreUrl(`sqlite://${join(dir, "sub", "state.db")}`);
    const store = await openStorage(config, { logger: silentLogger });
    const kv = await store.create("/registry/things/a", "one");
    await store.close();
    const again = await openStorage(config, { logger: silentLogger });
    try {
      assert.deepEqual(await again.get("/registry/things/a"), kv);
    } finally {
      await again.close();
    }
  });

  it("opens etcd from an etcd:// URL with several endpoints, skipping one that is down", async () => {
    const config = parseDatastoreUrl(`etcd://127.0.0.1:1,${etcd.endpoints[0]}`);
    assert.deepEqual(config, { kind: "etcd", endpoints: ["127.0.0.1:1", etcd.endpoints[0]] });
    const store = await openStorage(config, { logger: silentLogger, etcdPrefix: "/factory-test" });
    try {
      const kv = await store.create("/registry/things/a", "one");
      assert.equal((await store.get("/registry/things/a"))?.modRevision, kv.modRevision);
    } finally {
      await store.close();
    }
  });
});
