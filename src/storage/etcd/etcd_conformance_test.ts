// The shared storage conformance suite against a real single-member etcd. One etcd serves the tests of this file;
// each fixture gets its own key prefix. A test that compacted leaves its etcd behind (compaction is global and
// would make the next test's "older" revisions expired), so the next fixture starts a fresh etcd.
import { randomBytes } from "node:crypto";
import { after } from "node:test";
import { runStorageConformance } from "../conformance.js";
import { openEtcdStorage, EtcdStorage } from "./etcd_storage.js";
import { startEtcd, type EtcdCluster } from "./testing.js";

let cluster: EtcdCluster | undefined;

async function etcd(): Promise<EtcdCluster> {
  cluster ??= await startEtcd({ members: 1 });
  return cluster;
}

after(async () => {
  await cluster?.stop();
});

runStorageConformance("etcd", async () => {
  const c = await etcd();
  const prefix = `/k8ts-${randomBytes(4).toString("hex")}`;
  const store = await openEtcdStorage({ endpoints: c.endpoints, prefix });
  return {
    store,
    reopen: () => openEtcdStorage({ endpoints: c.endpoints, prefix }),
    async cleanup() {
      await store.close();
      const probe = new EtcdStorage({ endpoints: c.endpoints });
      const compacted = await probe.compactedRevision();
      await probe.close();
      if (compacted > 0) {
        await c.stop();
        if (cluster === c) cluster = undefined;
      }
    },
  };
});
