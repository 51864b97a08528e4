import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { PodObject, ServiceObject } from "./service_pods.js";
import { computeSubsets, truncateSubsets } from "./subsets.js";

function service(spec: Partial<NonNullable<ServiceObject["spec"]>> = {}): ServiceObject {
  return { metadata: { name: "web", namespace: "default", uid: "svc-uid" }, spec: { selector: { app: "web" }, clusterIP: "10.96.1.1", ports: [{ name: "http", port: 80, targetPort: 8080, protocol: "TCP" }], ...spec } };
}

function pod(name: string, opts: { ip?: string; ready?: boolean; deleting?: boolean; phase?: string; portName?: string; containerPort?: number; hostname?: string; subdomain?: string } = {}): PodObject {
  return {
    metadata: { name, namespace: "default", uid: `uid-${name}`, labels: { app: "web" }, ...(opts.deleting ? { deletionTimestamp: "2026-01-01T00:00:00Z" } : {}) },
    spec: {
      nodeName: "node-1",
      hostname: opts.hostname,
      subdomain: opts.subdomain,
      containers: [{ name: "c", image: "i", ports: opts.portName ? [{ name: opts.portName, containerPort: opts.containerPort ?? 9000, protocol: "TCP" }] : [] }],
    },
    status: { phase: opts.phase ?? "Running", podIP: opts.ip, conditions: [{ type: "Ready", status: opts.ready === false ? "False" : "True" }] },
  };
}

describe("computeSubsets", () => {
  it("lists ready pods as addresses and the others as notReadyAddresses, skipping pods without an IP", () => {
    const subsets = computeSubsets(service(), [pod("b", { ip: "10.244.0.12" }), pod("a", { ip: "10.244.0.2" }), pod("c", { ip: "10.244.0.3", ready: false }), pod("d")]);
    assert.equal(subsets.length, 1);
    assert.deepEqual(subsets[0]!.addresses!.map((a) => a.ip), ["10.244.0.2", "10.244.0.12"]);
    assert.deepEqual(subsets[0]!.notReadyAddresses!.map((a) => a.ip), ["10.244.0.3"]);
    assert.deepEqual(subsets[0]!.ports, [{ name: "http", port: 8080, protocol: "TCP" }]);
    const a = subsets[0]!.addresses![0]!;
    assert.equal(a.nodeName, "node-1");
    assert.deepEqual(a.targetRef, { kind: "Pod", namespace: "default", name: "a", uid: "uid-a" });
  });

  it("leaves out finished and terminating pods unless not-ready addresses are published", () => {
    const pods = [pod("a", { ip: "10.244.0.2", deleting: true }), pod("b", { ip: "10.244.0.3", phase: "Succeeded" }), pod("c", { ip: "10.244.0.4", ready: false })];
    assert.deepEqual(computeSubsets(service(), pods)[0]!.addresses, undefined);
    const published = computeSubsets(service({ publishNotReadyAddresses: true }), pods);
    assert.deepEqual(published[0]!.addresses!.map((a) => a.ip), ["10.244.0.2", "10.244.0.4"]);
    assert.equal(published[0]!.notReadyAddresses, undefined);
  });

  it("resolves named target ports per pod and groups pods by the ports they resolve", () => {
    const svc = service({ ports: [{ name: "http", port: 80, targetPort: "web", protocol: "TCP" }] });
    const subsets = computeSubsets(svc, [pod("a", { ip: "10.244.0.2", portName: "web", containerPort: 8080 }), pod("b", { ip: "10.244.0.3", portName: "web", containerPort: 9090 }), pod("c", { ip: "10.244.0.4" })]);
    assert.deepEqual(
      subsets.map((s) => [s.ports![0]!.port, s.addresses!.map((a) => a.ip)]),
      [
        [8080, ["10.244.0.2"]],
        [9090, ["10.244.0.3"]],
      ],
    );
  });

  it("gives pods of a headless service's subdomain their hostname", () => {
    const svc = service({ clusterIP: "None", ports: [] });
    const subsets = computeSubsets(svc, [pod("a", { ip: "10.244.0.2", hostname: "a", subdomain: "web" }), pod("b", { ip: "10.244.0.3", hostname: "b", subdomain: "other" })]);
    assert.deepEqual(subsets[0]!.addresses!.map((a) => [a.ip, a.hostname]), [["10.244.0.2", "a"], ["10.244.0.3", undefined]]);
    assert.equal(subsets[0]!.ports, undefined);
  });
});

describe("truncateSubsets", () => {
  it("keeps ready addresses first up to the cap", () => {
    const addrs = (n: number, base: number) => Array.from({ length: n }, (_, i) => ({ ip: `10.244.${base}.${i + 1}` }));
    const out = truncateSubsets([{ notReadyAddresses: addrs(3, 1), ports: [{ port: 1 }] }, { addresses: addrs(4, 2), ports: [{ port: 2 }] }], 5);
    assert.equal(out.truncated, true);
    assert.deepEqual(out.subsets.map((s) => [s.addresses?.length ?? 0, s.notReadyAddresses?.length ?? 0]), [[0, 1], [4, 0]]);
    assert.equal(truncateSubsets([{ addresses: addrs(2, 1) }], 5).truncated, false);
  });
});
