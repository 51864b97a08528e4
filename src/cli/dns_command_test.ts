import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { describe, it } from "node:test";
import { resources } from "../client/resources.js";
import { startFakeApiServer } from "../client/testing/fake_apiserver.js";
import { query } from "../dns/client.js";
import { newQuery, RRType } from "../dns/message.js";
import { parseHostPort } from "../dns/types.js";
import { parseDnsFlags } from "./dns_command.js";

describe("k8ts dns flags", () => {
  it("parses addresses, domain, upstreams and modes", () => {
    const f = parseDnsFlags(["--server", "http://127.0.0.1:6443", "--listen=127.0.0.1:5353", "--cluster-domain", "corp.internal.", "--upstream", "1.1.1.1,[::1]:5300", "--upstream=9.9.9.9:53", "--ttl", "5", "--pods", "insecure", "--health", "127.0.0.1:8181"]);
    assert.deepEqual(f, {
      server: "http://127.0.0.1:6443",
      listen: { host: "127.0.0.1", port: 5353 },
      clusterDomain: "corp.internal",
      upstreams: [{ host: "1.1.1.1", port: 53 }, { host: "::1", port: 5300 }, { host: "9.9.9.9", port: 53 }],
      ttl: 5,
      pods: "insecure",
      health: { host: "127.0.0.1", port: 8181 },
    });
  });

  it("takes upstreams from a resolv.conf", () => {
    const f = parseDnsFlags(["--listen", "127.0.0.1:53", "--upstream", "/etc/resolv.conf"], () => "nameserver 192.168.1.1\nnameserver fd00::53\n");
    assert.deepEqual(f.upstreams, [{ host: "192.168.1.1", port: 53 }, { host: "fd00::53", port: 53 }]);
  });

  it("names the bad flag", () => {
    assert.throws(() => parseDnsFlags([]), /--listen is required/);
    assert.throws(() => parseDnsFlags(["--listen", "127.0.0.1:99999"]), /invalid port/);
    assert.throws(() => parseDnsFlags(["--listen", "127.0.0.1:53", "--ttl", "-1"]), /--ttl/);
    assert.throws(() => parseDnsFlags(["--listen", "127.0.0.1:53", "--pods", "maybe"]), /--pods/);
    assert.throws(() => parseDnsFlags(["--listen", "127.0.0.1:53", "--bogus"]), /unknown flag/);
    assert.throws(() => parseDnsFlags(["--listen", "127.0.0.1:53", "--cluster-domain", "Bad_Domain"]), /not a DNS domain/);
    assert.throws(() => parseDnsFlags(["--listen", "127.0.0.1:53", "--server", "http://x", "--kubeconfig", "k"]), /not both/);
  });
});

describe("k8ts dns process", () => {
  it("serves the cluster's names until SIGTERM, then exits 0", async () => {
    const api = await startFakeApiServer();
    api.store.create(resources.services, "default", { metadata: { name: "web" }, spec: { clusterIP: "10.96.0.50", ports: [{ port: 80 }] } });
    const args = ["dns", "--server", api.url, "--listen", "127.0.0.1:0", "--cluster-domain", "k8ts.test"];
    const child = spawn(process.execPath, ["--import", "tsx", "-e", `import("./src/cli/main.ts").then(async (m) => { process.exitCode = await m.main(${JSON.stringify(args)}); })`], {
      stdio: ["ignore", "ignore", "pipe"],
      env: { ...process.env, K8TS_LOG_LEVEL: "info" },
    });
    try {
      // The log line announcing the bound address (port 0 picks one).
      let err = "";
      const at = await new Promise<string>((resolve, reject) => {
        child.stderr!.on("data", (c: Buffer) => {
          err += c.toString();
          const m = /"msg":"cluster dns serving"[^\n]*"dns":"([^"]+)"/.exec(err);
          if (m) resolve(m[1]!);
        });
        child.once("exit", (code) => reject(new Error(`k8ts dns exited early (${code}): ${err}`)));
      });
      const server = parseHostPort(at);
      let answer: string | undefined;
      // The first answers may come before the caches are filled (SERVFAIL); ask until the name is there.
      for (let i = 0; i < 600 && !answer; i++) {
        const m = await query(server, newQuery("web.default.svc.k8ts.test", RRType.A));
        answer = m.answers.map((a) => ("address" in a.data ? a.data.address : "")).join(",") || undefined;
        if (!answer) await new Promise((r) => setTimeout(r, 50));
      }
      assert.equal(answer, "10.96.0.50");
      child.kill("SIGTERM");
      const [code] = (await once(child, "exit")) as [number | null];
      assert.equal(code, 0);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
      await api.close();
    }
  });
});
