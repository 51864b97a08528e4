import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { CONFIG_HASH_ANNOTATION, CONFIG_SOURCE_ANNOTATION, readManifestDir, staticPodFromManifest } from "./static_pods.js";

const pod = (name: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, ...extra },
  spec: { containers: [{ name: "c", image: "busybox:1.36" }] },
});

test("a manifest becomes a static pod named after the node, bound to it, defaulted, with a content uid", () => {
  const p = staticPodFromManifest(pod("web", { uid: "ignored", resourceVersion: "7" }), "node-1");
  assert.ok(typeof p !== "string", String(p));
  assert.equal(p.metadata?.name, "web-node-1");
  assert.equal(p.metadata?.namespace, "default");
  assert.equal(p.spec?.nodeName, "node-1");
  assert.equal(p.spec?.restartPolicy, "Always");
  assert.equal(p.spec?.containers[0]?.imagePullPolicy, "IfNotPresent");
  assert.equal(p.metadata?.resourceVersion, undefined);
  assert.match(p.metadata!.uid!, /^[0-9a-f]{32}$/);
  assert.equal(p.metadata?.annotations?.[CONFIG_HASH_ANNOTATION], p.metadata?.uid);
  assert.equal(p.metadata?.annotations?.[CONFIG_SOURCE_ANNOTATION], "file");
  // The same content (keys in another order) has the same uid; other content or another node has another.
  const again = staticPodFromManifest({ spec: { containers: [{ image: "busybox:1.36", name: "c" }] }, metadata: { name: "web" }, kind: "Pod", apiVersion: "v1" }, "node-1");
  assert.ok(typeof again !== "string");
  assert.equal(again.metadata?.uid, p.metadata?.uid);
  const other = staticPodFromManifest(pod("web", { labels: { a: "b" } }), "node-1");
  assert.ok(typeof other !== "string");
  assert.notEqual(other.metadata?.uid, p.metadata?.uid);
  const elsewhere = staticPodFromManifest(pod("web"), "node-2");
  assert.ok(typeof elsewhere !== "string");
  assert.notEqual(elsewhere.metadata?.uid, p.metadata?.uid);
});

test("manifests that are not valid pods are refused with a reason", () => {
  assert.match(String(staticPodFromManifest({ kind: "Service", metadata: { name: "x" }, spec: {} }, "n")), /kind "Service" is not Pod/);
  assert.match(String(staticPodFromManifest({ kind: "Pod", spec: { containers: [] } }, "n")), /metadata.name is required/);
  assert.match(String(staticPodFromManifest({ kind: "Pod", metadata: { name: "x" }, spec: { containers: [] } }, "n")), /spec.containers: Required value/);
  assert.match(String(staticPodFromManifest({ kind: "Pod", metadata: { name: "Bad_Name" }, spec: { containers: [{ name: "c", image: "i" }] } }, "n")), /not a valid DNS subdomain/);
  assert.equal(staticPodFromManifest("text", "n"), "not an object");
});

test("a manifest directory: YAML with several documents, JSON, hidden files skipped, duplicates and errors reported", async () => {
  const dir = await mkdtemp(join(tmpdir(), "k8ts-static-"));
  try {
    await writeFile(join(dir, "a.yaml"), `apiVersion: v1\nkind: Pod\nmetadata: {name: one}\nspec: {containers: [{name: c, image: busybox}]}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: two, namespace: kube-system}\nspec: {containers: [{name: c, image: busybox}]}\n`);
    await writeFile(join(dir, "b.json"), JSON.stringify(pod("three")));
    await writeFile(join(dir, "c.yaml"), JSON.stringify(pod("one")));
    await writeFile(join(dir, "d.yaml"), "kind: Pod\nmetadata: {name: [unclosed\n");
    await writeFile(join(dir, ".hidden.yaml"), JSON.stringify(pod("hidden")));
    const read = await readManifestDir(dir, "n1");
    assert.deepEqual(
      read.pods.map((p) => `${p.pod.metadata?.namespace}/${p.pod.metadata?.name}`),
      ["default/one-n1", "kube-system/two-n1", "default/three-n1"],
    );
    assert.equal(read.errors.length, 2, read.errors.join("\n"));
    assert.match(read.errors[0]!, /c\.yaml: pod default\/one-n1 is already defined in .*a\.yaml \(document 1\)/);
    assert.match(read.errors[1]!, /d\.yaml: /);
    assert.deepEqual(await readManifestDir(join(dir, "missing"), "n1"), { pods: [], errors: [] });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
