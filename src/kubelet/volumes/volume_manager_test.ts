import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import type { Container, Pod, Volume } from "kubernetes-types/core/v1.js";
import { silentLogger } from "../../util/log.js";
import { mountsUnder } from "../containerd/containerd_instance.js";
import { ConfigError } from "../env/field_ref.js";
import { FakeObjectSource } from "./sources.js";
import { VolumeManager } from "./volume_manager.js";

const root = mkdtempSync(join(tmpdir(), "k8ts-volumes-"));
after(() => {
  // A failed test must not leave a tmpfs behind.
  for (const mp of mountsUnder(root)) execFileSync("umount", [mp]);
  rmSync(root, { recursive: true, force: true });
});
const isRoot = process.getuid?.() === 0;
const b64 = (s: string): string => Buffer.from(s).toString("base64");

let n = 0;
function pod(volumes: Volume[], containers: Container[] = []): Pod {
  n++;
  return {
    metadata: { name: `p${n}`, namespace: "ns", uid: `uid-${n}`, labels: { app: "web", tier: "front" }, annotations: { owner: "team \"a\"" } },
    spec: { volumes, containers: containers.length ? containers : [{ name: "c", resources: { limits: { memory: "64Mi" } } }] },
  };
}

function setup(): { src: FakeObjectSource; vm: VolumeManager } {
  const src = new FakeObjectSource();
  src.configMaps.set("ns/cfg", { metadata: { name: "cfg" }, data: { "app.conf": "color=blue", other: "x" } });
  src.secrets.set("ns/creds", { metadata: { name: "creds" }, data: { password: b64("s3cret"), token: b64("t") } });
  return { src, vm: new VolumeManager({ rootDir: root, source: src, log: silentLogger, now: () => 1_700_000_000_000 }) };
}

const facts = { hostIP: "10.0.0.1" };
const read = (p: string): string => readFileSync(p, "utf8");

describe("volume manager", () => {
  it("gives every container of a pod the same emptyDir, and removes it with the pod", async () => {
    const { vm } = setup();
    const c1: Container = { name: "a", volumeMounts: [{ name: "data", mountPath: "/data" }] };
    const c2: Container = { name: "b", volumeMounts: [{ name: "data", mountPath: "/in", readOnly: true }, { name: "data", mountPath: "/sub", subPath: "nested/dir" }] };
    const p = pod([{ name: "data", emptyDir: {} }], [c1, c2]);
    await vm.setUp(p, facts);
    const [m1] = await vm.mountsFor(p, c1);
    const [m2, m3] = await vm.mountsFor(p, c2);
    assert.equal(m1!.hostPath, join(root, "pods", p.metadata!.uid!, "volumes", "kubernetes.io~empty-dir", "data"));
    assert.deepEqual(m2, { containerPath: "/in", hostPath: m1!.hostPath, readonly: true });
    assert.equal(m3!.hostPath, join(m1!.hostPath, "nested/dir"));
    assert.ok(existsSync(m3!.hostPath), "subPath directory created");
    assert.equal(statSync(m1!.hostPath).mode & 0o777, 0o777);
    await vm.tearDown(p.metadata!.uid!);
    assert.equal(existsSync(vm.podDir(p.metadata!.uid!)), false);
  });

  it("mounts a Memory emptyDir as a tmpfs of sizeLimit and unmounts it on teardown", { skip: isRoot ? undefined : "needs root to mount tmpfs" }, async () => {
    const { vm } = setup();
    const c: Container = { name: "a", volumeMounts: [{ name: "cache", mountPath: "/cache" }] };
    const p = pod([{ name: "cache", emptyDir: { medium: "Memory", sizeLimit: "8Mi" } }], [c]);
    await vm.setUp(p, facts);
    await vm.setUp(p, facts); // mounted once, however many syncs
    const [m] = await vm.mountsFor(p, c);
    assert.deepEqual(mountsUnder(vm.podDir(p.metadata!.uid!)), [m!.hostPath]);
    const line = readFileSync("/proc/self/mountinfo", "utf8").split("\n").find((l) => l.split(" ")[4] === m!.hostPath)!;
    assert.match(line, / - tmpfs tmpfs .*size=8192k/);
    await vm.tearDown(p.metadata!.uid!);
    assert.deepEqual(mountsUnder(root), []);
    assert.equal(existsSync(m!.hostPath), false);
  });

  it("projects config map keys (items, modes), updates them in place and makes them read-only", async () => {
    const { src, vm } = setup();
    const c: Container = { name: "a", volumeMounts: [{ name: "all", mountPath: "/etc/all" }, { name: "some", mountPath: "/etc/some" }] };
    const p = pod([{ name: "all", configMap: { name: "cfg", defaultMode: 0o600 } }, { name: "some", configMap: { name: "cfg", items: [{ key: "app.conf", path: "conf/app.conf", mode: 0o444 }] } }], [c]);
    await vm.setUp(p, facts);
    const [all, some] = await vm.mountsFor(p, c);
    assert.equal(all!.readonly, true);
    assert.equal(read(join(all!.hostPath, "app.conf")), "color=blue");
    assert.equal(statSync(join(all!.hostPath, "other")).mode & 0o777, 0o600);
    assert.equal(read(join(some!.hostPath, "conf/app.conf")), "color=blue");
    assert.equal(existsSync(join(some!.hostPath, "other")), false);
    assert.equal(statSync(join(some!.hostPath, "conf/app.conf")).mode & 0o777, 0o444);
    src.configMaps.set("ns/cfg", { metadata: { name: "cfg" }, data: { "app.conf": "color=green" } });
    await vm.setUp(p, facts);
    assert.equal(read(join(all!.hostPath, "app.conf")), "color=green");
    assert.equal(existsSync(join(all!.hostPath, "other")), false);
    await vm.tearDown(p.metadata!.uid!);
  });

  it("keeps a volume's last contents when its source disappears after setup", async () => {
    const { src, vm } = setup();
    const c: Container = { name: "a", volumeMounts: [{ name: "cfg", mountPath: "/etc/cfg" }] };
    const p = pod([{ name: "cfg", configMap: { name: "cfg" } }], [c]);
    await vm.setUp(p, facts);
    src.configMaps.clear();
    await vm.setUp(p, facts);
    const [m] = await vm.mountsFor(p, c);
    assert.equal(read(join(m!.hostPath, "app.conf")), "color=blue");
    await vm.tearDown(p.metadata!.uid!);
  });

  it("writes secrets decoded, and refuses missing required sources while skipping optional ones", async () => {
    const { vm } = setup();
    const c: Container = { name: "a", volumeMounts: [{ name: "s", mountPath: "/s" }] };
    const p = pod([{ name: "s", secret: { secretName: "creds", defaultMode: 0o400 } }, { name: "o", secret: { secretName: "nope", optional: true } }], [c]);
    await vm.setUp(p, facts);
    const [m] = await vm.mountsFor(p, c);
    assert.equal(read(join(m!.hostPath, "password")), "s3cret");
    assert.equal(statSync(join(m!.hostPath, "password")).mode & 0o777, 0o400);
    await vm.tearDown(p.metadata!.uid!);
    await assert.rejects(vm.setUp(pod([{ name: "s", secret: { secretName: "nope" } }]), facts), (e: Error) => e instanceof ConfigError && /secret "nope" not found/.test(e.message));
    await assert.rejects(vm.setUp(pod([{ name: "c", configMap: { name: "cfg", items: [{ key: "missing", path: "m" }] } }]), facts), /configuration key "missing" not found in ConfigMap ns\/cfg/);
  });

  it("writes the downward API and projected volumes with a JWT-shaped service account token", async () => {
    const { vm } = setup();
    const c: Container = { name: "c", resources: { limits: { memory: "64Mi" } }, volumeMounts: [{ name: "info", mountPath: "/info" }, { name: "api", mountPath: "/var/run/secrets/kubernetes.io/serviceaccount" }] };
    const p = pod(
      [
        {
          name: "info",
          downwardAPI: {
            items: [
              { path: "labels", fieldRef: { fieldPath: "metadata.labels" } },
              { path: "annotations", fieldRef: { fieldPath: "metadata.annotations" } },
              { path: "name", fieldRef: { fieldPath: "metadata.name" } },
              { path: "uid", fieldRef: { fieldPath: "metadata.uid" } },
              { path: "mem", resourceFieldRef: { containerName: "c", resource: "limits.memory", divisor: "1Mi" } },
            ],
          },
        },
        {
          name: "api",
          projected: {
            sources: [
              { serviceAccountToken: { path: "token", expirationSeconds: 600 } },
              { configMap: { name: "cfg", items: [{ key: "app.conf", path: "ca.crt" }] } },
              { downwardAPI: { items: [{ path: "namespace", fieldRef: { fieldPath: "metadata.namespace" } }] } },
              { secret: { name: "creds", items: [{ key: "token", path: "extra" }] } },
            ],
          },
        },
      ],
      [c],
    );
    await vm.setUp(p, facts);
    const [info, api] = await vm.mountsFor(p, c);
    assert.equal(read(join(info!.hostPath, "labels")), 'app="web"\ntier="front"');
    assert.equal(read(join(info!.hostPath, "annotations")), 'owner="team \\"a\\""');
    assert.equal(read(join(info!.hostPath, "name")), p.metadata!.name);
    assert.equal(read(join(info!.hostPath, "uid")), p.metadata!.uid);
    assert.equal(read(join(info!.hostPath, "mem")), "64");
    assert.equal(read(join(api!.hostPath, "namespace")), "ns");
    assert.equal(read(join(api!.hostPath, "ca.crt")), "color=blue");
    assert.equal(read(join(api!.hostPath, "extra")), "t");
    const [header, claims, sig] = read(join(api!.hostPath, "token")).split(".");
    assert.equal(sig, "");
    assert.equal(JSON.parse(Buffer.from(header!, "base64url").toString()).typ, "JWT");
    const body = JSON.parse(Buffer.from(claims!, "base64url").toString()) as { sub: string; exp: number; iat: number };
    assert.equal(body.sub, "system:serviceaccount:ns:default");
    assert.equal(body.exp - body.iat, 600);
    await vm.tearDown(p.metadata!.uid!);
  });

  it("checks hostPath types and resolves claims to their persistent volume's path", async () => {
    const { src, vm } = setup();
    const base = join(root, "host");
    mkdirSync(base, { recursive: true });
    writeFileSync(join(base, "file"), "x");
    await vm.setUp(pod([{ name: "d", hostPath: { path: join(base, "made/here"), type: "DirectoryOrCreate" } }]), facts);
    assert.ok(statSync(join(base, "made/here")).isDirectory());
    await vm.setUp(pod([{ name: "f", hostPath: { path: join(base, "new-file"), type: "FileOrCreate" } }]), facts);
    assert.ok(statSync(join(base, "new-file")).isFile());
    await assert.rejects(vm.setUp(pod([{ name: "d", hostPath: { path: join(base, "file"), type: "Directory" } }]), facts), /is not a directory/);
    await assert.rejects(vm.setUp(pod([{ name: "d", hostPath: { path: join(base, "absent"), type: "File" } }]), facts), /does not exist/);
    await assert.rejects(vm.setUp(pod([{ name: "d", hostPath: { path: base, type: "Socket" } }]), facts), /is not a socket/);

    src.claims.set("ns/data", { metadata: { name: "data" }, spec: { volumeName: "pv-1" } });
    src.claims.set("ns/pending", { metadata: { name: "pending" }, spec: {} });
    src.volumes.set("pv-1", { metadata: { name: "pv-1" }, spec: { local: { path: base } } });
    const c: Container = { name: "a", volumeMounts: [{ name: "v", mountPath: "/v" }] };
    const p = pod([{ name: "v", persistentVolumeClaim: { claimName: "data", readOnly: true } }], [c]);
    await vm.setUp(p, facts);
    assert.deepEqual(await vm.mountsFor(p, c), [{ containerPath: "/v", hostPath: base, readonly: true }]);
    await vm.tearDown(p.metadata!.uid!);
    assert.ok(existsSync(join(base, "file")), "a claim's data survives the pod");
    await assert.rejects(vm.setUp(pod([{ name: "v", persistentVolumeClaim: { claimName: "pending" } }]), facts), /persistentvolumeclaim "pending" is not bound/);
    await assert.rejects(vm.setUp(pod([{ name: "v", persistentVolumeClaim: { claimName: "gone" } }]), facts), /persistentvolumeclaim "gone" not found/);
  });

  it("a claim bound to a local-path volume (hostPath DirectoryOrCreate) gets its directory made and mounted read-write", async () => {
    const { src, vm } = setup();
    const dir = join(root, "local-path", "ns_data_pvc-1");
    src.claims.set("ns/lp", { metadata: { name: "lp" }, spec: { volumeName: "pvc-1" } });
    src.volumes.set("pvc-1", { metadata: { name: "pvc-1" }, spec: { hostPath: { path: dir, type: "DirectoryOrCreate" } } });
    const c: Container = { name: "a", volumeMounts: [{ name: "v", mountPath: "/data" }] };
    const p = pod([{ name: "v", persistentVolumeClaim: { claimName: "lp" } }], [c]);
    await vm.setUp(p, facts);
    assert.ok(statSync(dir).isDirectory());
    assert.deepEqual(await vm.mountsFor(p, c), [{ containerPath: "/data", hostPath: dir, readonly: false }]);
    writeFileSync(join(dir, "kept"), "x");
    await vm.tearDown(p.metadata!.uid!);
    assert.ok(existsSync(join(dir, "kept")), "the volume's data outlives the pod");
  });

  it("refuses a subPath that leaves the volume and expands subPathExpr from the env", async () => {
    const { vm } = setup();
    const bad: Container = { name: "a", volumeMounts: [{ name: "data", mountPath: "/d", subPath: "../../etc" }] };
    const expr: Container = { name: "b", volumeMounts: [{ name: "data", mountPath: "/d", subPathExpr: "$(POD_NAME)" }] };
    const p = pod([{ name: "data", emptyDir: {} }], [bad, expr]);
    await vm.setUp(p, facts);
    await assert.rejects(vm.mountsFor(p, bad), /must not contain '\.\.'/);
    const [m] = await vm.mountsFor(p, expr, [{ key: "POD_NAME", value: "web-0" }]);
    assert.match(m!.hostPath, /kubernetes\.io~empty-dir\/data\/web-0$/);
    await vm.tearDown(p.metadata!.uid!);
  });

  it("removes volume directories of pods that are gone, and only those", async () => {
    const { vm } = setup();
    const keep = pod([{ name: "data", emptyDir: {} }]);
    const gone = pod([{ name: "data", emptyDir: {} }]);
    await vm.setUp(keep, facts);
    await vm.setUp(gone, facts);
    mkdirSync(join(root, "pods", "ns_name_uid", "c"), { recursive: true }); // a log directory
    const removed = await vm.cleanupOrphans((uid) => uid === keep.metadata!.uid);
    assert.equal(removed, 1);
    assert.ok(existsSync(vm.podDir(keep.metadata!.uid!)));
    assert.equal(existsSync(vm.podDir(gone.metadata!.uid!)), false);
    assert.ok(existsSync(join(root, "pods", "ns_name_uid")));
    await vm.tearDown(keep.metadata!.uid!);
  });
});
