import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Pod } from "kubernetes-types/core/v1.js";
import { parseResolvConf, podDnsConfig, renderResolvConf } from "./pod_dns.js";

const host = parseResolvConf("# written by the installer\nnameserver 192.168.1.1\nnameserver 192.168.1.2 ; backup\nsearch corp.example lab.example\noptions edns0 timeout:2\n");
const pod = (spec: Omit<NonNullable<Pod["spec"]>, "containers">, ns = "shop"): Pod => ({ metadata: { name: "p", namespace: ns }, spec: { containers: [], ...spec } });

describe("pod DNS configuration", () => {
  it("reads the node's resolv.conf", () => {
    assert.deepEqual(host, { servers: ["192.168.1.1", "192.168.1.2"], searches: ["corp.example", "lab.example"], options: ["edns0", "timeout:2"] });
  });

  it("ClusterFirst: cluster DNS, the namespace's search path before the host's, ndots:5", () => {
    const cfg = podDnsConfig(pod({}), { host });
    assert.deepEqual(cfg, {
      servers: ["10.96.0.10"],
      searches: ["shop.svc.cluster.local", "svc.cluster.local", "cluster.local", "corp.example", "lab.example"],
      options: ["ndots:5"],
    });
    assert.equal(
      renderResolvConf(cfg),
      "search shop.svc.cluster.local svc.cluster.local cluster.local corp.example lab.example\nnameserver 10.96.0.10\noptions ndots:5\n",
    );
  });

  it("host-network pods use the node's resolver unless ClusterFirstWithHostNet", () => {
    assert.deepEqual(podDnsConfig(pod({ hostNetwork: true }), { host }), host);
    assert.deepEqual(podDnsConfig(pod({ hostNetwork: true, dnsPolicy: "ClusterFirstWithHostNet" }), { host }).servers, ["10.96.0.10"]);
    assert.deepEqual(podDnsConfig(pod({ dnsPolicy: "Default" }), { host }), host);
  });

  it("merges pod.spec.dnsConfig: servers appended, searches first, options replaced by name", () => {
    const cfg = podDnsConfig(
      pod({ dnsConfig: { nameservers: ["1.1.1.1"], searches: ["my.example"], options: [{ name: "ndots", value: "2" }, { name: "edns0" }] } }),
      { host, clusterDomain: "corp.internal", clusterDNS: ["10.96.0.10"] },
    );
    assert.deepEqual(cfg.servers, ["10.96.0.10", "1.1.1.1"]);
    assert.deepEqual(cfg.searches.slice(0, 2), ["my.example", "shop.svc.corp.internal"]);
    assert.deepEqual(cfg.options, ["ndots:2", "edns0"]);
    const none = podDnsConfig(pod({ dnsPolicy: "None", dnsConfig: { nameservers: ["9.9.9.9"] } }), { host });
    assert.deepEqual(none, { servers: ["9.9.9.9"], searches: [], options: [] });
  });

  it("keeps search lists within Kubernetes' limits", () => {
    const many = Array.from({ length: 40 }, (_, i) => `d${i}.example`);
    assert.equal(podDnsConfig(pod({ dnsConfig: { searches: many } }), {}).searches.length, 32);
    const long = Array.from({ length: 20 }, (_, i) => `${"x".repeat(200)}${i}.example`);
    const cfg = podDnsConfig(pod({ dnsConfig: { searches: long } }), {});
    assert.ok(cfg.searches.join(" ").length <= 2048);
  });
});
