import assert from "node:assert/strict";
import { describe, it } from "node:test";
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
