import { test } from "node:test";
import assert from "node:assert/strict";
import { extChain, sepChain, svcChain, svlChain } from "./chain_names.js";
import { iptablesRules, probability } from "./iptables_rules.js";
import { cleanupText, emptyExisting, parseIptablesSave, restoreText } from "./iptables_restore.js";
import { buildProxyState } from "./service_model.js";
import { service, slice, type ServiceObject, type SliceObject } from "./testing.js";

const render = (svcs: ServiceObject[], slices: SliceObject[], clusterCIDR?: string): string =>
  restoreText(iptablesRules(buildProxyState(svcs, slices, { nodeName: "n1" }), { clusterCIDR }), emptyExisting());
const lines = (text: string, prefix: string): string[] => text.split("\n").filter((l) => l.startsWith(prefix));
const web = { namespace: "default", service: "web", portName: "http", protocol: "TCP" as const };
const webSlice = slice("web", [{ name: "http", port: 8080 }], [{ ip: "10.244.1.2", node: "n1" }, { ip: "10.244.1.3" }, { ip: "10.244.2.2", node: "n2" }]);
const eps = [
  { ip: "10.244.1.2", port: 8080 },
  { ip: "10.244.1.3", port: 8080 },
  { ip: "10.244.2.2", port: 8080 },
];

test("ClusterIP with three endpoints: cluster IP jump, 1/3 then 1/2 then the rest, hairpin mark then DNAT", () => {
  const text = render([service("web", { clusterIP: "10.96.0.10", ports: [{ name: "http", port: 80 }] })], [webSlice], "10.244.0.0/16");
  const svc = svcChain(web);
  assert.equal(svc, "KUBE-SVC-CDGGSHYLG3RE2FKL");
  assert.deepEqual(lines(text, "-A KUBE-SERVICES -m comment --comment \"default/web"), [
    `-A KUBE-SERVICES -m comment --comment "default/web:http cluster IP" -m tcp -p tcp -d 10.96.0.10/32 --dport 80 -j ${svc}`,
  ]);
  assert.deepEqual(lines(text, `-A ${svc} `), [
    `-A ${svc} -m comment --comment "default/web:http cluster IP" -m tcp -p tcp -d 10.96.0.10/32 --dport 80 ! -s 10.244.0.0/16 -j KUBE-MARK-MASQ`,
    `-A ${svc} -m comment --comment "default/web:http -> 10.244.1.2:8080" -m statistic --mode random --probability 0.3333333333 -j ${sepChain(web, eps[0]!)}`,
    `-A ${svc} -m comment --comment "default/web:http -> 10.244.1.3:8080" -m statistic --mode random --probability 0.5000000000 -j ${sepChain(web, eps[1]!)}`,
    `-A ${svc} -m comment --comment "default/web:http -> 10.244.2.2:8080" -j ${sepChain(web, eps[2]!)}`,
  ]);
  const sep = sepChain(web, eps[2]!);
  assert.deepEqual(lines(text, `-A ${sep} `), [
    `-A ${sep} -m comment --comment "default/web:http" -s 10.244.2.2/32 -j KUBE-MARK-MASQ`,
    `-A ${sep} -m comment --comment "default/web:http" -m tcp -p tcp -j DNAT --to-destination 10.244.2.2:8080`,
  ]);
  for (const ep of eps) assert.ok(text.includes(`:${sepChain(web, ep)} - [0:0]`));
  assert.ok(text.includes("-A KUBE-POSTROUTING -m comment --comment \"kubernetes service traffic requiring SNAT\" -j MASQUERADE --random-fully"));
  assert.deepEqual(lines(text, "-A KUBE-SERVICES -m comment --comment \"default/web has"), []);
  assert.equal(probability(0, 4), "0.2500000000");
});

test("NodePort: KUBE-NODEPORTS sends the port to KUBE-EXT, which masquerades then balances; nodeports jump is last", () => {
  const text = render([service("web", { type: "NodePort", clusterIP: "10.96.0.10", ports: [{ name: "http", port: 80, nodePort: 30080 }] })], [webSlice]);
  assert.deepEqual(lines(text, "-A KUBE-NODEPORTS "), [`-A KUBE-NODEPORTS -m comment --comment "default/web:http" -m tcp -p tcp --dport 30080 -j ${extChain(web)}`]);
  assert.deepEqual(lines(text, `-A ${extChain(web)} `), [
    `-A ${extChain(web)} -m comment --comment "masquerade traffic for default/web:http external destinations" -j KUBE-MARK-MASQ`,
    `-A ${extChain(web)} -j ${svcChain(web)}`,
  ]);
  const services = lines(text, "-A KUBE-SERVICES ").filter((l) => !l.includes("REJECT"));
  assert.match(services.at(-1)!, /--dst-type LOCAL -j KUBE-NODEPORTS$/);
});

test("externalTrafficPolicy Local: external traffic goes to a KUBE-SVL chain of this node's endpoints only", () => {
  const text = render(
    [service("web", { type: "NodePort", externalTrafficPolicy: "Local", clusterIP: "10.96.0.10", ports: [{ name: "http", port: 80, nodePort: 30080 }] })],
    [webSlice],
    "10.244.0.0/16",
  );
  assert.deepEqual(lines(text, `-A ${svlChain(web)} `), [`-A ${svlChain(web)} -m comment --comment "default/web:http -> 10.244.1.2:8080" -j ${sepChain(web, eps[0]!)}`]);
  assert.equal(lines(text, `-A ${extChain(web)} `).at(-1), `-A ${extChain(web)} -j ${svlChain(web)}`);
  assert.ok(text.includes(`-A ${extChain(web)} -m comment --comment "pod traffic for default/web:http external destinations" -s 10.244.0.0/16 -j ${svcChain(web)}`));
});

test("externalTrafficPolicy Local with no endpoint on this node: pods and the node still reach it, outside traffic is dropped", () => {
  const elsewhere = slice("web", [{ name: "http", port: 8080 }], [{ ip: "10.244.2.2", node: "n2" }]);
  const text = render([service("web", { type: "NodePort", externalTrafficPolicy: "Local", clusterIP: "10.96.0.10", ports: [{ name: "http", port: 80, nodePort: 30080 }] })], [elsewhere], "10.244.0.0/16");
  // Kubernetes keeps the EXT chain for its short-circuits and leaves out only the jump to the (empty) local chain.
  assert.deepEqual(lines(text, "-A KUBE-NODEPORTS "), [`-A KUBE-NODEPORTS -m comment --comment "default/web:http" -m tcp -p tcp --dport 30080 -j ${extChain(web)}`]);
  assert.deepEqual(lines(text, `-A ${extChain(web)} `), [
    `-A ${extChain(web)} -m comment --comment "pod traffic for default/web:http external destinations" -s 10.244.0.0/16 -j ${svcChain(web)}`,
    `-A ${extChain(web)} -m comment --comment "masquerade LOCAL traffic for default/web:http external destinations" -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ`,
    `-A ${extChain(web)} -m comment --comment "route LOCAL traffic for default/web:http external destinations" -m addrtype --src-type LOCAL -j ${svcChain(web)}`,
  ]);
  assert.doesNotMatch(text, new RegExp(svlChain(web)));
  // What was not short-circuited keeps its node-port destination and meets the DROP in the filter table.
  assert.deepEqual(lines(text, "-A KUBE-EXTERNAL-SERVICES "), [
    `-A KUBE-EXTERNAL-SERVICES -m comment --comment "default/web:http has no local endpoints" -m addrtype --dst-type LOCAL -m tcp -p tcp --dport 30080 -j DROP`,
  ]);
});

test("a headless service adds nothing to the rules", () => {
  const headless = render([service("web", { clusterIP: "None", ports: [{ name: "http", port: 80 }] })], [webSlice]);
  assert.equal(headless, render([], []));
  assert.doesNotMatch(headless, /default\/web/);
});

test("a service without endpoints is rejected in the filter table, cluster IP and node port alike, with no nat chains", () => {
  const text = render([service("web", { type: "NodePort", clusterIP: "10.96.0.10", ports: [{ name: "http", port: 80, nodePort: 30080 }] })], []);
  assert.deepEqual(lines(text, "-A KUBE-SERVICES -m comment --comment \"default/web:http has"), [
    `-A KUBE-SERVICES -m comment --comment "default/web:http has no endpoints" -m tcp -p tcp -d 10.96.0.10/32 --dport 80 -j REJECT --reject-with icmp-port-unreachable`,
  ]);
  assert.deepEqual(lines(text, "-A KUBE-EXTERNAL-SERVICES "), [
    `-A KUBE-EXTERNAL-SERVICES -m comment --comment "default/web:http has no endpoints" -m addrtype --dst-type LOCAL -m tcp -p tcp --dport 30080 -j REJECT --reject-with icmp-port-unreachable`,
  ]);
  assert.doesNotMatch(text, /KUBE-(SVC|EXT|SEP)-/);
  const filter = text.slice(0, text.indexOf("*nat"));
  assert.match(filter, /REJECT/);
  assert.doesNotMatch(text.slice(text.indexOf("*nat")), /REJECT/);
});

test("ClientIP affinity: a recent check per endpoint before the random choice, and the DNAT records the client", () => {
  const text = render([service("web", { clusterIP: "10.96.0.10", sessionAffinity: "ClientIP", sessionAffinityConfig: { clientIP: { timeoutSeconds: 600 } }, ports: [{ name: "http", port: 80 }] })], [webSlice]);
  const svc = lines(text, `-A ${svcChain(web)} `);
  assert.equal(svc.length, 6);
  const sep0 = sepChain(web, eps[0]!);
  assert.equal(svc[0], `-A ${svcChain(web)} -m comment --comment "default/web:http -> 10.244.1.2:8080" -m recent --name ${sep0} --mask 255.255.255.255 --rsource --rcheck --seconds 600 --reap -j ${sep0}`);
  assert.match(svc[3]!, /--probability 0\.3333333333/);
  assert.ok(text.includes(`-A ${sep0} -m comment --comment "default/web:http" -m tcp -p tcp -m recent --name ${sep0} --mask 255.255.255.255 --rsource --set -j DNAT --to-destination 10.244.1.2:8080`));
});

test("named ports: one chain per service port, each DNATing to the port its endpoints resolved", () => {
  const svc = service("web", { clusterIP: "10.96.0.10", ports: [{ name: "http", port: 80, targetPort: "web" }, { name: "dns", port: 53, protocol: "UDP", targetPort: "dns" }] });
  const s = slice("web", [{ name: "http", port: 8080 }, { name: "dns", port: 5353, protocol: "UDP" }], [{ ip: "10.244.1.2" }]);
  const text = render([svc], [s]);
  const dns = { ...web, portName: "dns", protocol: "UDP" as const };
  assert.notEqual(svcChain(dns), svcChain(web));
  assert.ok(text.includes(`-m tcp -p tcp -d 10.96.0.10/32 --dport 80 -j ${svcChain(web)}`));
  assert.ok(text.includes(`-m udp -p udp -d 10.96.0.10/32 --dport 53 -j ${svcChain(dns)}`));
  assert.ok(text.includes(`-A ${sepChain(dns, { ip: "10.244.1.2", port: 5353 })} -m comment --comment "default/web:dns" -m udp -p udp -j DNAT --to-destination 10.244.1.2:5353`));
  assert.ok(text.includes(`-j DNAT --to-destination 10.244.1.2:8080`));
});

test("the output is deterministic whatever order the caches list objects in", () => {
  const a = service("a", { clusterIP: "10.96.0.1", ports: [{ port: 80 }] });
  const b = service("b", { clusterIP: "10.96.0.2", ports: [{ port: 80 }] }, "other");
  const sa = slice("a", [{ port: 80 }], [{ ip: "10.244.3.1" }, { ip: "10.244.1.1" }], { name: "a1" });
  const sb = slice("b", [{ port: 80 }], [{ ip: "10.244.2.1" }], { name: "b1", ns: "other" });
  assert.equal(render([a, b], [sa, sb]), render([b, a], [sb, sa]));
});

test("restore input deletes stale service chains, keeps existing jumps, and cleanup removes everything of ours", () => {
  const saved = [
    "*nat",
    ":PREROUTING ACCEPT [0:0]",
    ":KUBE-SERVICES - [0:0]",
    ":KUBE-SVC-AAAAAAAAAAAAAAAA - [0:0]",
    ":KUBE-SEP-BBBBBBBBBBBBBBBB - [0:0]",
    ":DOCKER - [0:0]",
    '-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    "COMMIT",
    "*filter",
    ":INPUT ACCEPT [0:0]",
    "COMMIT",
  ].join("\n");
  const existing = parseIptablesSave(saved);
  const text = restoreText(iptablesRules({ ports: [] }), existing);
  assert.ok(text.includes("-X KUBE-SVC-AAAAAAAAAAAAAAAA"));
  assert.ok(text.includes("-X KUBE-SEP-BBBBBBBBBBBBBBBB"));
  assert.doesNotMatch(text, /DOCKER/);
  assert.doesNotMatch(text, /-I PREROUTING/);
  assert.match(text, /-I OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES/);
  const clean = cleanupText(existing);
  assert.match(clean, /-D PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES/);
  assert.match(clean, /-X KUBE-SERVICES/);
  assert.doesNotMatch(clean, /DOCKER/);
});
