// The scale subresource of every scalable kind, resolved through discovery of the real API server (in-process).
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { createClient, type Client } from "../../client/rest_client.js";
import { startServer, type RunningServer } from "../../daemons/server.js";
import { silentLogger } from "../../util/log.js";
import { DiscoveryScaleClient } from "./scale_client.js";

const template = { metadata: { labels: { app: "x" } }, spec: { containers: [{ name: "c", image: "nginx:1.27" }] } };

describe("DiscoveryScaleClient", () => {
  let dir: string;
  let server: RunningServer;
  let client: Client;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "k8ts-scale-"));
    server = await startServer({ dataDir: dir, port: 0, controllers: false, scheduler: false, metrics: false, logger: silentLogger });
    client = createClient({ server: server.url });
  });
  after(async () => {
    client?.close();
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("gets and updates the scale of Deployments, ReplicaSets, StatefulSets and ReplicationControllers", async () => {
    const spec = { replicas: 1, selector: { matchLabels: { app: "x" } }, template };
    const targets = [
      { apiVersion: "apps/v1", kind: "Deployment", path: "/apis/apps/v1/namespaces/default/deployments", spec },
      { apiVersion: "apps/v1", kind: "ReplicaSet", path: "/apis/apps/v1/namespaces/default/replicasets", spec },
      { apiVersion: "apps/v1", kind: "StatefulSet", path: "/apis/apps/v1/namespaces/default/statefulsets", spec: { ...spec, serviceName: "x" } },
      { apiVersion: "v1", kind: "ReplicationController", path: "/api/v1/namespaces/default/replicationcontrollers", spec: { replicas: 1, selector: { app: "x" }, template } },
    ];
    const scales = new DiscoveryScaleClient(client);
    for (const t of targets) {
      const name = t.kind.toLowerCase();
      await client.request({ method: "POST", path: t.path, body: { apiVersion: t.apiVersion, kind: t.kind, metadata: { name }, spec: t.spec } });
      const ref = { apiVersion: t.apiVersion, kind: t.kind, name };
      const scale = await scales.get("default", ref);
      assert.equal(scale.kind, "Scale", t.kind);
      assert.equal(scale.spec?.replicas, 1, t.kind);
      assert.equal(scale.status?.selector, "app=x", t.kind);
      await scales.update("default", ref, { ...scale, spec: { replicas: 3 } });
      const obj = await client.request<{ spec: { replicas: number } }>({ method: "GET", path: `${t.path}/${name}` });
      assert.equal(obj.spec.replicas, 3, t.kind);
    }
    assert.equal(await scales.objectPath("default", { apiVersion: "v1", kind: "Service", name: "front" }), "/api/v1/namespaces/default/services/front");
    await assert.rejects(scales.get("default", { apiVersion: "v1", kind: "ConfigMap", name: "x" }), /no scale subresource for kind ConfigMap in v1/);
  });
});
