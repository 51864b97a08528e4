// The pod garbage collector against the real API server: pods of a deleted Node are marked (DisruptionTarget,
// DeletionByPodGC, Failed) and force-deleted at once; a pod bound to a node that never existed goes only after the
// quarantine; pods on live nodes and unbound pods stay.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { Pod } from "kubernetes-types/core/v1.js";
import type { KubeObject } from "../../api/object.js";
import { SharedInformerFactory } from "../../client/informer_factory.js";
import { createClient } from "../../client/rest_client.js";
import { resources } from "../../client/resources.js";
import { startServer } from "../../daemons/server.js";
import { isNotFound } from "../../machinery/errors.js";
import { silentLogger } from "../../util/log.js";
import { startController } from "../types.js";
import { PodGcController } from "./pod_gc_controller.js";

type PodObject = Pod & KubeObject;

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test("podgc: orphaned pods force-deleted (deleted node at once, never-seen node after the quarantine), others kept", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "k8ts-podgc-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const server = await startServer({ dataDir: dir, port: 0, logger: silentLogger, scheduler: false, metrics: false, leaderElect: false, controllerManager: { controllers: [] } });
  t.after(() => server.stop());
  const client = createClient({ server: server.url });
  t.after(() => client.close());
  const nodes = client.resource<KubeObject>(resources.nodes);
  const pods = client.resource<PodObject>(resources.pods);
  for (const name of ["a", "b"]) await nodes.create(undefined, { apiVersion: "v1", kind: "Node", metadata: { name } });
  const pod = (name: string, nodeName?: string): PodObject => ({ apiVersion: "v1", kind: "Pod", metadata: { name }, spec: { nodeName, containers: [{ name: "c", image: "busybox" }] } });
  for (const [name, node] of [["on-a", "a"], ["on-a-2", "a"], ["on-b", "b"], ["unbound", undefined]] as const) await pods.create("default", pod(name, node));

  // Long enough that the pods of a node seen deleted are surely gone before it ends, even on a loaded machine: the
  // test compares them with a pod whose quarantine started earlier, rather than timing them.
  const quarantineMs = 8000;
  const informers = new SharedInformerFactory({ client, log: silentLogger });
  const gc = startController(new PodGcController({ client, informers, quarantineMs, checkPeriodMs: 500, log: silentLogger }));
  t.after(() => gc.stop());

  const gone = (name: string): Promise<true | undefined> => pods.get("default", name).then(() => undefined, (err: unknown) => (isNotFound(err) ? true : Promise.reject(err)));
  // Watch what the pods go through on their way out, from before anything below changes them (a watch from "now"
  // could be set up only after the collector marked them).
  const seen = new Map<string, PodObject>();
  const from = (await pods.list("default")).metadata?.resourceVersion;
  const w = pods.watch("default", { resourceVersion: from }, {
    onEvent: (e) => {
      if (e.type === "MODIFIED") seen.set((e.object as PodObject).metadata!.name!, e.object as PodObject);
    },
  });
  t.after(() => w.stop());

  // A pod bound to a node that never existed is kept for the quarantine; pods of a node seen deleted go at once.
  const ghostAt = Date.now();
  await pods.create("default", pod("on-ghost", "ghost"));
  await nodes.delete(undefined, "a");
  await until("pods of the deleted node a to go", async () => ((await gone("on-a")) && (await gone("on-a-2")) ? true : undefined));
  assert.ok(!(await gone("on-ghost")) || Date.now() - ghostAt >= quarantineMs, "pods of a node seen deleted go without the quarantine");
  const marked = await until("the watch to show on-a marked", async () => seen.get("on-a"));
  assert.equal(marked.status?.phase, "Failed");
  assert.ok(marked.status?.conditions?.some((c) => c.type === "DisruptionTarget" && c.reason === "DeletionByPodGC"));

  await until("the pod on the never-seen node to go", () => gone("on-ghost"), 60_000);
  assert.ok(Date.now() - ghostAt >= quarantineMs, "the quarantine was waited out");

  await new Promise((r) => setTimeout(r, 1000));
  assert.deepEqual((await pods.list("default")).items.map((p) => p.metadata!.name).sort(), ["on-b", "unbound"]);
});
