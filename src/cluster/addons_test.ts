// The cluster DNS Deployment's host mounts and spec: what the pod needs to run `k8ts dns` with the host's node and
// this k8ts (real files on disk; the pods themselves run in cluster_containerd_test.ts).
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { Deployment } from "kubernetes-types/apps/v1.js";
import { dnsDeployment, DNS_HEALTH_PORT, hostCodeMounts, PROJECT_ROOT } from "./addons.js";

test("hostCodeMounts covers node, its libraries, the project and the targets of links", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "k8ts-addons-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const real = join(dir, "real-modules");
  const project = join(dir, "checkout");
  const bin = join(dir, "elsewhere", "bin");
  mkdirSync(real, { recursive: true });
  mkdirSync(project, { recursive: true });
  mkdirSync(bin, { recursive: true });
  symlinkSync(real, join(project, "node_modules"));
  writeFileSync(join(bin, "node"), "");
  const mounts = hostCodeMounts([join(bin, "node"), "--import", "tsx", join(project, "bin", "k8ts.js"), "dns"], project);
  assert.ok(mounts.includes("/usr"));
  assert.ok(mounts.includes(project), "the project");
  assert.ok(mounts.includes(real), "the target of the linked node_modules");
  assert.ok(mounts.includes(bin), "a node outside /usr");
  // Nothing twice, nothing nested under another mount.
  for (const m of mounts) assert.ok(!mounts.some((o) => o !== m && m.startsWith(`${o}/`)), `${m} is under another mount`);
  assert.equal(new Set(mounts).size, mounts.length);
});

test("the DNS Deployment runs the given k8ts argv from the project directory, read-only, probed on /ready", () => {
  const argv = ["/usr/bin/node", join(PROJECT_ROOT, "bin", "k8ts.js")];
  const d = dnsDeployment({ k8ts: argv, server: "http://10.100.7.1:6443", replicas: 2 }) as unknown as Deployment;
  assert.equal(d.metadata?.namespace, "kube-system");
  assert.equal(d.spec?.replicas, 2);
  assert.deepEqual(d.spec?.selector.matchLabels, { "k8s-app": "kube-dns" });
  assert.equal(d.spec?.template.metadata?.labels?.["k8s-app"], "kube-dns");
  const c = d.spec!.template.spec!.containers[0]!;
  assert.deepEqual(c.command, [...argv, "dns", "--server", "http://10.100.7.1:6443", "--listen", "0.0.0.0:53", "--health", `0.0.0.0:${DNS_HEALTH_PORT}`]);
  assert.equal(c.readinessProbe?.httpGet?.path, "/ready");
  assert.equal(c.readinessProbe?.httpGet?.port, DNS_HEALTH_PORT);
  const vols = d.spec!.template.spec!.volumes ?? [];
  assert.ok(vols.some((v) => v.hostPath?.path === "/usr"));
  assert.ok(c.volumeMounts?.length);
  for (const m of c.volumeMounts ?? []) {
    assert.equal(m.readOnly, true);
    assert.equal(vols.find((v) => v.name === m.name)?.hostPath?.path, m.mountPath, "mounted at the host path");
    assert.match(m.name, /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
  }
});
