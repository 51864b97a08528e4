import { test } from "node:test";
import assert from "node:assert/strict";
import { buildProxyState } from "./service_model.js";
import { service, slice } from "./testing.js";

const node = { nodeName: "n1" };

test("headless and ExternalName services produce no service ports", () => {
  const state = buildProxyState(
    [service("h", { clusterIP: "None", ports: [{ port: 80 }] }), service("x", { type: "ExternalName", externalName: "example.org", ports: [{ port: 80 }] })],
    [slice("h", [{ port: 80 }], [{ ip: "10.244.1.2" }])],
    node,
  );
  assert.deepEqual(state.ports, []);
});

test("named ports take each slice port's own number; endpoints sorted numerically and de-duplicated", () => {
  const svc = service("web", { clusterIP: "10.96.0.20", ports: [{ name: "http", port: 80, targetPort: "web" }, { name: "metrics", port: 9090, targetPort: "m" }] });
  const s1 = slice("web", [{ name: "http", port: 8080 }, { name: "metrics", port: 9102 }], [{ ip: "10.244.1.10", node: "n1" }, { ip: "10.244.1.9" }], { name: "a" });
  const s2 = slice("web", [{ name: "http", port: 8080 }, { name: "metrics", port: 9102 }], [{ ip: "10.244.1.9" }], { name: "b" });
  const [http, metrics] = buildProxyState([svc], [s1, s2], node).ports;
  assert.equal(http!.portName, "http");
  assert.deepEqual(http!.endpoints, [
    { ip: "10.244.1.9", port: 8080, local: false },
    { ip: "10.244.1.10", port: 8080, local: true },
  ]);
  assert.equal(metrics!.portName, "metrics");
  assert.deepEqual(metrics!.endpoints.map((e) => e.port), [9102, 9102]);
});

test("not-ready endpoints are skipped; serving terminating ones are used only when nothing is ready", () => {
  const svc = service("s", { clusterIP: "10.96.0.21", ports: [{ port: 80 }] });
  const both = buildProxyState([svc], [slice("s", [{ port: 80 }], [{ ip: "10.244.1.2", ready: false }, { ip: "10.244.1.3", ready: false, serving: true, terminating: true }, { ip: "10.244.1.4" }])], node);
  assert.deepEqual(both.ports[0]!.endpoints.map((e) => e.ip), ["10.244.1.4"]);
  const onlyTerminating = buildProxyState([svc], [slice("s", [{ port: 80 }], [{ ip: "10.244.1.2", ready: false }, { ip: "10.244.1.3", ready: false, serving: true, terminating: true }])], node);
  assert.deepEqual(onlyTerminating.ports[0]!.endpoints.map((e) => e.ip), ["10.244.1.3"]);
});

test("affinity, node ports, external IPs and traffic policies are carried over", () => {
  const svc = service("s", {
    type: "LoadBalancer",
    clusterIP: "10.96.0.22",
    externalIPs: ["192.0.2.10"],
    sessionAffinity: "ClientIP",
    externalTrafficPolicy: "Local",
    ports: [{ port: 53, protocol: "UDP", nodePort: 30053 }],
  });
  const [p] = buildProxyState([{ ...svc, status: { loadBalancer: { ingress: [{ ip: "192.0.2.20" }] } } }], [], node).ports;
  assert.equal(p!.protocol, "UDP");
  assert.equal(p!.nodePort, 30053);
  assert.equal(p!.affinitySeconds, 10800);
  assert.deepEqual(p!.externalIPs, ["192.0.2.10", "192.0.2.20"]);
  assert.equal(p!.externalLocal, true);
  assert.deepEqual(p!.endpoints, []);
});

test("a ClusterIP service ignores a stray nodePort; slices of other services and IPv6 slices are ignored", () => {
  const svc = service("s", { clusterIP: "10.96.0.23", ports: [{ port: 80, nodePort: 30080 }] });
  const v6 = { ...slice("s", [{ port: 80 }], [{ ip: "fd00::1" }], { name: "v6" }), addressType: "IPv6" };
  const other = slice("other", [{ port: 80 }], [{ ip: "10.244.1.7" }], { name: "o" });
  const [p] = buildProxyState([svc], [v6, other], node).ports;
  assert.equal(p!.nodePort, undefined);
  assert.deepEqual(p!.endpoints, []);
});
