import { test } from "node:test";
import assert from "node:assert/strict";
import { endpointHash, servicePortHash } from "./chain_names.js";
import { nftablesCleanup, nftablesRules } from "./nftables_rules.js";
import { buildProxyState } from "./service_model.js";
import { service, slice, type ServiceObject, type SliceObject } from "./testing.js";

const render = (svcs: ServiceObject[], slices: SliceObject[], clusterCIDR?: string): string => nftablesRules(buildProxyState(svcs, slices, { nodeName: "n1" }), { clusterCIDR });
const web = { namespace: "default", service: "web", portName: "http", protocol: "TCP" as const };
const h = servicePortHash(web);
const webSlice = slice("web", [{ name: "http", port: 8080 }], [{ ip: "10.244.1.2", node: "n1" }, { ip: "10.244.1.3" }, { ip: "10.244.2.2", node: "n2" }]);
const sep = (ip: string, port = 8080): string => `sep-${endpointHash(web, { ip, port })}`;

/** The body lines of one chain, trimmed. */
function chainBody(text: string, name: string): string[] {
  const start = text.indexOf(`  chain ${name} {\n`);
  assert.ok(start >= 0, `chain ${name} missing`);
  const end = text.indexOf("\n  }", start);
  return text.slice(start, end).split("\n").slice(1).map((l) => l.trim());
}

test("the table is replaced in one transaction and hooks use nft 1.0.6-safe priorities", () => {
  const text = render([], []);
  assert.ok(text.startsWith("table ip k8ts-proxy {}\ndelete table ip k8ts-proxy\ntable ip k8ts-proxy {\n"));
  assert.deepEqual(chainBody(text, "nat-output"), ["type nat hook output priority -100; policy accept;", "jump services"]);
  assert.deepEqual(chainBody(text, "services"), ["ip daddr . meta l4proto . th dport vmap @service-ips", "fib daddr type local meta l4proto . th dport vmap @service-nodeports"]);
  assert.doesNotMatch(text, /elements/);
  assert.equal(nftablesCleanup(), "table ip k8ts-proxy {}\ndelete table ip k8ts-proxy\n");
});

test("ClusterIP with three endpoints: a map element, numgen over three endpoint chains, hairpin mark then l4proto-guarded DNAT", () => {
  const text = render([service("web", { clusterIP: "10.96.0.10", ports: [{ name: "http", port: 80 }] })], [webSlice], "10.244.0.0/16");
  assert.match(text, new RegExp(`10\\.96\\.0\\.10 \\. tcp \\. 80 : goto svc-${h}\\n`));
  assert.deepEqual(chainBody(text, `svc-${h}`), [
    'comment "default/web:http"',
    "ip daddr 10.96.0.10 ip saddr != 10.244.0.0/16 jump mark-for-masquerade",
    `numgen random mod 3 vmap { 0 : goto ${sep("10.244.1.2")}, 1 : goto ${sep("10.244.1.3")}, 2 : goto ${sep("10.244.2.2")} }`,
  ]);
  assert.deepEqual(chainBody(text, sep("10.244.2.2")), [
    'comment "default/web:http -> 10.244.2.2:8080"',
    "ip saddr 10.244.2.2 jump mark-for-masquerade",
    "meta l4proto tcp dnat to 10.244.2.2:8080",
  ]);
});

test("NodePort: a node-port map element leads to an ext chain that masquerades then balances", () => {
  const text = render([service("web", { type: "NodePort", clusterIP: "10.96.0.10", ports: [{ name: "http", port: 80, nodePort: 30080 }] })], [webSlice]);
  assert.match(text, new RegExp(`tcp \\. 30080 : goto ext-${h}\\n`));
  assert.deepEqual(chainBody(text, `ext-${h}`), ['comment "default/web:http external destinations"', "jump mark-for-masquerade", `goto svc-${h}`]);
});

test("headless: nothing about the service; no endpoints: reject elements for cluster IP and node port", () => {
  assert.equal(render([service("web", { clusterIP: "None", ports: [{ name: "http", port: 80 }] })], [webSlice]), render([], []));
  const text = render([service("web", { type: "NodePort", clusterIP: "10.96.0.10", ports: [{ name: "http", port: 80, nodePort: 30080 }] })], []);
  assert.match(text, /10\.96\.0\.10 \. tcp \. 80 : goto reject-chain/);
  assert.match(text, /tcp \. 30080 : goto reject-chain/);
  assert.doesNotMatch(text, /chain (svc|sep|ext)-/);
});

test("ClientIP affinity: a timeout set per endpoint, checked before numgen and updated in the endpoint chain", () => {
  const text = render([service("web", { clusterIP: "10.96.0.10", sessionAffinity: "ClientIP", ports: [{ name: "http", port: 80 }] })], [webSlice]);
  const a = `affinity-${endpointHash(web, { ip: "10.244.1.2", port: 8080 })}`;
  assert.ok(text.includes(`  set ${a} {\n    type ipv4_addr\n    flags dynamic,timeout\n    timeout 10800s\n  }`));
  const body = chainBody(text, `svc-${h}`);
  assert.equal(body[1], `ip saddr @${a} goto ${sep("10.244.1.2")}`);
  assert.match(body.at(-1)!, /^numgen random mod 3/);
  assert.ok(chainBody(text, sep("10.244.1.2")).includes(`update @${a} { ip saddr }`));
});

test("named ports: separate elements and chains per port, each DNATing to its resolved port", () => {
  const svc = service("web", { clusterIP: "10.96.0.10", ports: [{ name: "http", port: 80, targetPort: "web" }, { name: "dns", port: 53, protocol: "UDP", targetPort: "dns" }] });
  const text = render([svc], [slice("web", [{ name: "http", port: 8080 }, { name: "dns", port: 5353, protocol: "UDP" }], [{ ip: "10.244.1.2" }])]);
  const dns = { ...web, portName: "dns", protocol: "UDP" as const };
  assert.match(text, new RegExp(`10\\.96\\.0\\.10 \\. udp \\. 53 : goto svc-${servicePortHash(dns)}`));
  assert.deepEqual(chainBody(text, `svc-${h}`).at(-1), `goto ${sep("10.244.1.2")}`);
  assert.ok(chainBody(text, `sep-${endpointHash(dns, { ip: "10.244.1.2", port: 5353 })}`).includes("meta l4proto udp dnat to 10.244.1.2:5353"));
});

test("internalTrafficPolicy Local with no local endpoint drops cluster-IP traffic", () => {
  const text = render([service("web", { clusterIP: "10.96.0.10", internalTrafficPolicy: "Local", ports: [{ name: "http", port: 80 }] })], [slice("web", [{ name: "http", port: 8080 }], [{ ip: "10.244.2.2", node: "n2" }])]);
  assert.match(text, /10\.96\.0\.10 \. tcp \. 80 : drop/);
  assert.doesNotMatch(text, /10\.96\.0\.10 \. tcp \. 80 : goto/);
});

test("externalTrafficPolicy Local with no local endpoint: the ext chain short-circuits pods and the node, the rest is dropped after DNAT", () => {
  const elsewhere = slice("web", [{ name: "http", port: 8080 }], [{ ip: "10.244.2.2", node: "n2" }]);
  const text = render([service("web", { type: "NodePort", externalTrafficPolicy: "Local", clusterIP: "10.96.0.10", ports: [{ name: "http", port: 80, nodePort: 30080 }] })], [elsewhere], "10.244.0.0/16");
  assert.match(text, new RegExp(`tcp \\. 30080 : goto ext-${h}\\n`));
  assert.deepEqual(chainBody(text, `ext-${h}`), [
    'comment "default/web:http external destinations"',
    `ip saddr 10.244.0.0/16 goto svc-${h}`,
    "fib saddr type local jump mark-for-masquerade",
    `fib saddr type local goto svc-${h}`,
  ]);
  assert.doesNotMatch(text, /chain svl-/);
  assert.match(text, /tcp \. 30080 : drop/);
  // The drop is checked on input (after prerouting DNAT), not before it, and not on the node's own output.
  assert.deepEqual(chainBody(text, "filter-input").slice(1), ["ct state new ip daddr . meta l4proto . th dport vmap @no-endpoint-services", "ct state new fib daddr type local meta l4proto . th dport vmap @no-endpoint-nodeports"]);
  assert.doesNotMatch(chainBody(text, "filter-output").join("\n"), /nodeports/);
  assert.doesNotMatch(text, /hook prerouting priority -110/);
});
