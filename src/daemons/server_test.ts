import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parse as parseYaml } from "yaml";
import { silentLogger } from "../util/log.js";
import { startServer } from "./server.js";

describe("startServer", () => {
  it("writes an admin kubeconfig, bootstraps, keeps state across restarts and stops cleanly", async () => {
    const dir = await mkdtemp(join(tmpdir(), "k8ts-srv-"));
    try {
      let s = await startServer({ dataDir: dir, port: 0, logger: silentLogger });
      const kc = parseYaml(await readFile(s.kubeconfigPath, "utf8"));
      assert.equal(kc["current-context"], "k8ts");
      assert.equal(kc.clusters[0].cluster.server, s.url);
      assert.deepEqual(kc.contexts[0].context, { cluster: "k8ts", user: "admin" });
      assert.equal((await fetch(`${s.url}/readyz`)).status, 200);
      const ns = (await (await fetch(`${s.url}/api/v1/namespaces`)).json()) as { items: { metadata: { name: string } }[] };
      assert.deepEqual(ns.items.map((i) => i.metadata.name).sort(), ["default", "kube-node-lease", "kube-public", "kube-system"]);
      const created = await fetch(`${s.url}/api/v1/namespaces/default/configmaps`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "kept" } }),
      });
      assert.equal(created.status, 201);
      await s.stop();
      await s.stop();
      s = await startServer({ dataDir: dir, port: 0, logger: silentLogger });
      assert.equal((await fetch(`${s.url}/api/v1/namespaces/default/configmaps/kept`)).status, 200);
      const svc = (await (await fetch(`${s.url}/api/v1/namespaces/default/services/kubernetes`)).json()) as { spec: { clusterIP: string } };
      assert.equal(svc.spec.clusterIP, "10.96.0.1");
      // The restarted server listens on another port: the kubernetes Endpoints and EndpointSlice follow it.
      const port = Number(new URL(s.url).port);
      const ep = (await (await fetch(`${s.url}/api/v1/namespaces/default/endpoints/kubernetes`)).json()) as { subsets: { ports: { port: number }[] }[] };
      assert.equal(ep.subsets[0]!.ports[0]!.port, port);
      const slice = (await (await fetch(`${s.url}/apis/discovery.k8s.io/v1/namespaces/default/endpointslices/kubernetes`)).json()) as {
        metadata: { labels: Record<string, string> };
        endpoints: { addresses: string[] }[];
        ports: { port: number }[];
      };
      assert.equal(slice.metadata.labels["kubernetes.io/service-name"], "kubernetes");
      assert.deepEqual(slice.endpoints[0]!.addresses, ["127.0.0.1"]);
      assert.equal(slice.ports[0]!.port, port);
      await s.stop();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
