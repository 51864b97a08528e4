// Merging a cluster's context into a shared kubeconfig and taking it out again leaves every other entry alone.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { parse } from "yaml";
import { mergeKubeconfig, unmergeKubeconfig } from "./kubeconfig.js";
import { validateClusterName } from "./state_store.js";

test("kubeconfig merge and unmerge keep other entries; a second merge replaces, not duplicates", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "k8ts-kubeconfig-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, "config");
  writeFileSync(path, "apiVersion: v1\nkind: Config\nclusters:\n- name: other\n  cluster: {server: https://other:6443}\ncontexts:\n- name: other\n  context: {cluster: other, user: other}\nusers:\n- name: other\n  user: {token: abc}\ncurrent-context: other\n");
  await mergeKubeconfig(path, "dev", "http://10.100.1.1:1234");
  await mergeKubeconfig(path, "dev", "http://10.100.1.1:5678");
  type Doc = { clusters: Array<{ name: string; cluster: { server: string } }>; contexts: Array<{ name: string }>; users: Array<{ name: string; user: unknown }>; "current-context"?: string };
  let doc = parse(readFileSync(path, "utf8")) as Doc;
  assert.deepEqual(doc.clusters.map((c) => [c.name, c.cluster.server]), [["other", "https://other:6443"], ["k8ts-dev", "http://10.100.1.1:5678"]]);
  assert.deepEqual(doc.contexts.map((c) => c.name), ["other", "k8ts-dev"]);
  assert.equal(doc["current-context"], "k8ts-dev");
  await unmergeKubeconfig(path, "dev");
  doc = parse(readFileSync(path, "utf8")) as Doc;
  assert.deepEqual(doc.clusters.map((c) => c.name), ["other"]);
  assert.deepEqual(doc.users, [{ name: "other", user: { token: "abc" } }]);
  assert.equal(doc["current-context"], undefined);
  // A kubeconfig that does not exist yet is created.
  await mergeKubeconfig(join(dir, "new", "config"), "x", "http://10.100.2.1:1");
  assert.match(readFileSync(join(dir, "new", "config"), "utf8"), /current-context: k8ts-x/);
});

test("cluster names fit interface and namespace names", () => {
  validateClusterName("dev-1");
  assert.throws(() => validateClusterName("Dev"), /invalid cluster name/);
  assert.throws(() => validateClusterName("a".repeat(21)), /invalid cluster name/);
  assert.throws(() => validateClusterName("-x"), /invalid cluster name/);
});
