import assert from "node:assert/strict";
import { describe, it } from "node:test";
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
