// Drives startServer() with the real kubectl binaries (the 1.31 client directly, and the /usr/bin/kubectl
// dispatcher that picks its client from /version). Skipped where the binaries are not installed.
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { silentLogger } from "../util/log.js";
import { startServer, type RunningServer } from "./server.js";

const KUBECTL_131 = "/usr/lib/google-cloud-sdk/bin/kubectl.1.31";
const DISPATCHER = "/usr/bin/kubectl";
const skip = !existsSync(KUBECTL_131) ? `${KUBECTL_131} is not installed` : false;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

describe("k8ts server with the real kubectl", { skip }, () => {
  let dir: string;
  let server: RunningServer;
  let k: (args: string[], opts?: { bin?: string; input?: string }) => Promise<Run>;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "k8ts-server-"));
    server = await startServer({ dataDir: dir, port: 0, logger: silentLogger });
    // Async child processes: the server runs in this process, so blocking calls would deadlock it.
    k = (args, opts = {}) =>
      new Promise((resolve) => {
        const child = execFile(
          opts.bin ?? KUBECTL_131,
          ["--kubeconfig", server.kubeconfigPath, "--cache-dir", join(dir, "cache"), ...args],
          { env: { ...process.env, HOME: dir }, timeout: 30_000 },
          (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
        );
        if (opts.input !== undefined) child.stdin!.end(opts.input);
      });
  });
  after(async () => {
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const ok = (r: Run): string => {
    assert.equal(r.code, 0, `kubectl failed: ${r.stderr}`);
    return r.stdout;
  };

  it("version and api-resources (through the dispatcher too)", async () => {
    assert.match(ok(await k(["version"])), /Server Version: v1\.31\.0-k8ts/);
    if (existsSync(DISPATCHER)) assert.match(ok(await k(["version"], { bin: DISPATCHER })), /Client Version: v1\.31/);
    const res = ok(await k(["api-resources"]));
    assert.match(res, /^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m);
    assert.match(res, /^namespaces\s+ns\s+v1\s+false\s+Namespace$/m);
  });

  it("bootstraps the system namespaces and the kubernetes Service", async () => {
    const ns = ok(await k(["get", "ns", "-o", "name"]));
    for (const n of ["default", "kube-system", "kube-public", "kube-node-lease"]) assert.match(ns, new RegExp(`^namespace/${n}$`, "m"));
    assert.match(ok(await k(["get", "svc", "kubernetes"])), /kubernetes\s+ClusterIP\s+10\.96\.0\.1\s+<none>\s+443\/TCP/);
  });

  it("create -f, get as table, wide, yaml and json", async () => {
    const manifest = join(dir, "deploy.yaml");
    await writeFile(
      manifest,
      "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 2\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n      - name: nginx\n        image: nginx:1.25\n",
    );
    assert.match(ok(await k(["create", "-f", manifest])), /deployment.apps\/web created/);
    const again = await k(["create", "-f", manifest]);
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /AlreadyExists.*deployments.apps "web" already exists/);
    assert.match(ok(await k(["get", "deploy"])), /^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\nweb\s+0\/2/m);
    assert.match(ok(await k(["get", "deploy", "-o", "wide"])), /CONTAINERS\s+IMAGES\s+SELECTOR\n.*nginx\s+nginx:1\.25\s+app=web/);
    assert.match(ok(await k(["get", "deploy", "web", "-o", "yaml"])), /^kind: Deployment$/m);
    const obj = JSON.parse(ok(await k(["get", "deploy", "web", "-o", "json"])));
    assert.equal(obj.spec.replicas, 2);
    assert.match(ok(await k(["get", "deploy", "-A", "--show-labels"])), /^NAMESPACE\s+NAME.*LABELS\ndefault\s+web/m);
  });

  it("apply creates, reports unchanged, configures; patch --type=merge; scale", async () => {
    const cm = join(dir, "cm.yaml");
    await writeFile(cm, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\ndata:\n  a: "1"\n');
    assert.match(ok(await k(["apply", "-f", cm])), /configmap\/cfg created/);
    assert.match(ok(await k(["apply", "-f", cm])), /configmap\/cfg unchanged/);
    await writeFile(cm, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\ndata:\n  a: "2"\n');
    assert.match(ok(await k(["apply", "-f", cm])), /configmap\/cfg configured/);
    assert.match(ok(await k(["patch", "cm", "cfg", "--type=merge", "-p", '{"data":{"b":"3"}}'])), /configmap\/cfg patched/);
    assert.equal(ok(await k(["get", "cm", "cfg", "-o", "jsonpath={.data}"])), '{"a":"2","b":"3"}');
    assert.match(ok(await k(["apply", "--server-side", "-f", cm])), /configmap\/cfg serverside-applied/);
    assert.match(ok(await k(["scale", "deploy", "web", "--replicas=3"])), /scaled/);
    assert.equal(ok(await k(["get", "deploy", "web", "-o", "jsonpath={.spec.replicas}"])), "3");
    assert.match(ok(await k(["auth", "can-i", "create", "pods"])), /^yes$/m);
  });

  it("get -w prints changes as they happen", async () => {
    const child = spawn(KUBECTL_131, ["--kubeconfig", server.kubeconfigPath, "--cache-dir", join(dir, "cache"), "get", "cm", "-w"], { env: { ...process.env, HOME: dir } });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    const waitFor = async (re: RegExp): Promise<void> => {
      const end = Date.now() + 10_000;
      while (!re.test(out)) {
        if (Date.now() > end) throw new Error(`kubectl get -w never printed ${re}: ${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    try {
      await waitFor(/^cfg\s/m);
      ok(await k(["create", "cm", "watched", "--from-literal=x=1"]));
      await waitFor(/^watched\s+1\s/m);
      assert.equal(out.match(/^NAME\s+DATA\s+AGE$/gm)?.length, 1, out);
    } finally {
      child.kill();
    }
  });

  it("delete and errors as Status", async () => {
    assert.match(ok(await k(["delete", "cm", "watched"])), /configmap "watched" deleted/);
    const missing = await k(["get", "cm", "watched"]);
    assert.match(missing.stderr, /Error from server \(NotFound\): configmaps "watched" not found/);
    assert.match(ok(await k(["delete", "deploy", "web"])), /deployment.apps "web" deleted/);
    ok(await k(["run", "p1", "--image=busybox", "--", "sleep", "1000"]));
    const logs = await k(["logs", "p1"]);
    assert.match(logs.stderr, /BadRequest.*not scheduled to a node/);
  });

  it("logs and exec reach the pod's node agent through the API server", async () => {
    // A stand-in node agent: answers logs, and records the upgrade kubectl's exec arrives with.
    const seen: string[] = [];
    const agent = http.createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      res.end("hello from the node\n");
    });
    agent.on("upgrade", (req, sock: Duplex) => {
      seen.push(`UPGRADE ${req.method} ${req.url} ${req.headers.upgrade}`);
      sock.end("HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n");
    });
    await new Promise<void>((r) => agent.listen(0, "127.0.0.1", r));
    const port = (agent.address() as AddressInfo).port;
    try {
      ok(await k(["create", "-f", "-"], { input: "apiVersion: v1\nkind: Node\nmetadata:\n  name: n1\n" }));
      const status = { status: { addresses: [{ type: "InternalIP", address: "127.0.0.1" }], daemonEndpoints: { kubeletEndpoint: { Port: port } } } };
      ok(await k(["patch", "node", "n1", "--subresource=status", "--type=merge", "-p", JSON.stringify(status)]));
      ok(await k(["run", "onnode", "--image=busybox", "--overrides", '{"spec":{"nodeName":"n1"}}', "--", "sleep", "1000"]));
      assert.equal(ok(await k(["logs", "onnode", "--tail=5"])), "hello from the node\n");
      assert.ok(seen.includes("GET /containerLogs/default/onnode/onnode?tailLines=5"), seen.join("; "));
      await k(["exec", "onnode", "--", "ls"]);
      assert.ok(seen.some((l) => /^UPGRADE POST \/exec\/default\/onnode\/onnode\?command=ls.* SPDY\/3\.1$/.test(l)), seen.join("; "));
    } finally {
      agent.closeAllConnections();
      agent.close();
    }
  });
});
