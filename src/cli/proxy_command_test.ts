import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { resources } from "../client/resources.js";
import { createClient } from "../client/rest_client.js";
import { startFakeApiServer } from "../client/testing/fake_apiserver.js";
import { startServer } from "../daemons/server.js";
import { silentLogger } from "../util/log.js";
import { parseProxyFlags } from "./proxy_command.js";

describe("k8ts proxy flags", () => {
  it("parses mode, node, API server, namespace and periods in both spellings", () => {
    assert.deepEqual(parseProxyFlags(["--mode", "nftables", "--node-name=n1", "--server", "http://127.0.0.1:6443", "--netns", "k8ts-n1", "--min-sync-period=500ms", "--sync-period", "1m"]), {
      mode: "nftables",
      nodeName: "n1",
      server: "http://127.0.0.1:6443",
      netns: "k8ts-n1",
      minSyncPeriodMs: 500,
      syncPeriodMs: 60_000,
    });
    const d = parseProxyFlags(["--kubeconfig", "/k", "--cluster-cidr", "10.244.0.0/16", "--healthz-bind-address", "127.0.0.1:10256"]);
    assert.equal(d.mode, "iptables");
    assert.equal(d.minSyncPeriodMs, 1000);
    assert.equal(d.clusterCIDR, "10.244.0.0/16");
    assert.deepEqual(d.healthz, { host: "127.0.0.1", port: 10256 });
    assert.equal(parseProxyFlags(["--cleanup", "--mode", "iptables"]).cleanup, true);
  });
  it("refuses IPVS, unknown modes and flags, bad values and conflicting sources", () => {
    assert.throws(() => parseProxyFlags(["--mode", "ipvs"]), /IPVS is not available/);
    assert.throws(() => parseProxyFlags(["--mode=userspace"]), /must be iptables or nftables/);
    assert.throws(() => parseProxyFlags(["--bogus"]), /unknown flag "--bogus"/);
    assert.throws(() => parseProxyFlags(["--node-name"]), /needs a value/);
    assert.throws(() => parseProxyFlags(["--netns", "../etc"]), /invalid --netns/);
    assert.throws(() => parseProxyFlags(["--min-sync-period", "soon"]), /invalid --min-sync-period/);
    assert.throws(() => parseProxyFlags(["--server", "x", "--kubeconfig", "y"]), /not both/);
  });
});

const asRoot = process.getuid?.() === 0;

describe("k8ts proxy process", { skip: asRoot ? undefined : "needs root (creates a network namespace)" }, () => {
  it("programs a namespace's nftables from the API, keeps rules on SIGTERM, and --cleanup removes them", async () => {
    const ns = `kpxcli${process.pid % 10000}`;
    const server = await startFakeApiServer();
    let child: ChildProcess | undefined;
    const inNs = (...argv: string[]): string => execFileSync("nsenter", [`--net=/var/run/netns/${ns}`, "--", ...argv], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    const k8ts = (args: string[]): ChildProcess => spawnK8ts(args);
    const exited = (c: ChildProcess): Promise<number | null> => new Promise((r) => (c.exitCode !== null ? r(c.exitCode) : c.once("exit", (code) => r(code))));
    try {
      execFileSync("ip", ["netns", "add", ns]);
      server.store.create(resources.services, "default", { metadata: { name: "web" }, spec: { clusterIP: "10.96.0.50", ports: [{ port: 80 }] } });
      child = k8ts(["proxy", "--mode", "nftables", "--node-name", "n1", "--server", server.url, "--netns", ns, "--min-sync-period", "100ms"]);
      let stderr = "";
      child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
      const end = Date.now() + 60_000;
      // No endpoints yet: the service's cluster IP is in the reject map.
      while (!/10\.96\.0\.50 \. tcp \. 80 : goto reject-chain/.test(safe(() => inNs("nft", "list", "table", "ip", "k8ts-proxy")))) {
        assert.ok(Date.now() < end, `rules never appeared; proxy stderr:\n${stderr}`);
        assert.equal(child.exitCode, null, `proxy exited early:\n${stderr}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      child.kill("SIGTERM");
      assert.equal(await exited(child), 0);
      assert.match(inNs("nft", "list", "tables"), /k8ts-proxy/, "rules stay after exit");
      const cleanup = k8ts(["proxy", "--mode", "nftables", "--netns", ns, "--cleanup"]);
      assert.equal(await exited(cleanup), 0);
      assert.doesNotMatch(inNs("nft", "list", "tables"), /k8ts-proxy/);
    } finally {
      if (child && child.exitCode === null && child.signalCode === null) {
        child.kill("SIGKILL");
        await exited(child);
      }
      await server.close();
      try {
        execFileSync("ip", ["netns", "del", ns], { stdio: "ignore" });
      } catch {
        // Never created.
      }
    }
  });
});

/** Runs `k8ts ARGS` from this test's own tree: src/ through tsx, or the compiled dist/. */
function spawnK8ts(args: string[]): ChildProcess {
  const here = fileURLToPath(import.meta.url);
  const fromSource = here.endsWith(".ts");
  const main = pathToFileURL(join(dirname(here), fromSource ? "main.ts" : "main.js")).href;
  const script = `import(${JSON.stringify(main)}).then(async (m) => { process.exitCode = await m.main(${JSON.stringify(args)}); })`;
  return spawn(process.execPath, [...(fromSource ? ["--import", "tsx"] : []), "-e", script], { stdio: ["ignore", "ignore", "pipe"] });
}

function safe(fn: () => string): string {
  try {
    return fn();
  } catch {
    return "";
  }
}

describe("k8ts proxy against the real API server", { skip: asRoot ? undefined : "needs root (creates a network namespace)" }, () => {
  it("iptables mode: the allocated cluster IP and node port reach the namespace's rules; leftover nftables rules are removed", async () => {
    const ns = `kpxcr${process.pid % 10000}`;
    const dir = mkdtempSync(join(tmpdir(), "k8ts-proxy-cli-"));
    const api = await startServer({ dataDir: dir, port: 0, bindAddress: "127.0.0.1", controllers: false, scheduler: false, metrics: false, logger: silentLogger });
    const client = createClient({ server: api.url });
    let child: ChildProcess | undefined;
    const inNs = (...argv: string[]): string => execFileSync("nsenter", [`--net=/var/run/netns/${ns}`, "--", ...argv], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    const exited = (c: ChildProcess): Promise<number | null> => new Promise((r) => (c.exitCode !== null ? r(c.exitCode) : c.once("exit", (code) => r(code))));
    try {
      execFileSync("ip", ["netns", "add", ns]);
      inNs("nft", "add", "table", "ip", "k8ts-proxy");
      const svc = (await client.resource(resources.services).create("default", { metadata: { name: "web" }, spec: { type: "NodePort", ports: [{ name: "http", port: 80, targetPort: 8080 }] } })) as {
        spec: { clusterIP: string; ports: Array<{ nodePort: number }> };
      };
      assert.match(svc.spec.clusterIP, /^10\.(9[6-9]|1[01][0-9])\./);
      await client.resource(resources.endpointslices).create("default", {
        metadata: { name: "web-1", labels: { "kubernetes.io/service-name": "web" } },
        addressType: "IPv4",
        ports: [{ name: "http", port: 8080, protocol: "TCP" }],
        endpoints: [{ addresses: ["10.244.1.2"], conditions: { ready: true } }],
      });
      child = spawnK8ts(["proxy", "--mode", "iptables", "--node-name", "n1", "--kubeconfig", api.kubeconfigPath, "--netns", ns]);
      let stderr = "";
      child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
      const end = Date.now() + 60_000;
      const want = [`-d ${svc.spec.clusterIP}/32 -p tcp -m comment --comment "default/web:http cluster IP" -m tcp --dport 80 -j KUBE-SVC-`, `--dport ${svc.spec.ports[0]!.nodePort} -j KUBE-EXT-`, "--to-destination 10.244.1.2:8080"];
      while (!want.every((w) => safe(() => inNs("iptables-save", "-t", "nat")).includes(w))) {
        assert.ok(Date.now() < end, `rules never appeared; proxy stderr:\n${stderr}\nnat:\n${safe(() => inNs("iptables-save", "-t", "nat"))}`);
        assert.equal(child.exitCode, null, `proxy exited early:\n${stderr}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.doesNotMatch(inNs("nft", "list", "tables"), /k8ts-proxy/, "the other mode's leftovers are gone");
      child.kill("SIGTERM");
      assert.equal(await exited(child), 0);
    } finally {
      if (child && child.exitCode === null && child.signalCode === null) {
        child.kill("SIGKILL");
        await exited(child);
      }
      client.close();
      await api.stop();
      rmSync(dir, { recursive: true, force: true });
      try {
        execFileSync("ip", ["netns", "del", ns], { stdio: "ignore" });
      } catch {
        // Never created.
      }
    }
  });
});
