import { test } from "node:test";
import assert from "node:assert/strict";
import { flushConntrack, staleConntrackDeletes } from "./conntrack.js";
import { buildProxyState } from "./service_model.js";
import { service, slice } from "./testing.js";
import type { CommandRunner } from "./types.js";

const dns = (type: "ClusterIP" | "NodePort" = "ClusterIP") => service("dns", { type, clusterIP: "10.96.0.10", ports: [{ port: 53, protocol: "UDP", nodePort: 30053 }] });
const state = (ips: string[], type?: "ClusterIP" | "NodePort") => buildProxyState([dns(type)], ips.length ? [slice("dns", [{ port: 5353, protocol: "UDP" }], ips.map((ip) => ({ ip })))] : [], { nodeName: "n1" });

test("a removed UDP endpoint has its flows to the cluster IP and node port deleted", () => {
  assert.deepEqual(staleConntrackDeletes(state(["10.244.1.2", "10.244.1.3"], "NodePort"), state(["10.244.1.3"], "NodePort")), [
    ["-D", "-p", "udp", "--orig-dst", "10.96.0.10", "--dst-nat", "10.244.1.2"],
    ["-D", "-p", "udp", "--orig-port-dst", "30053", "--dst-nat", "10.244.1.2"],
  ]);
});

test("a UDP port gaining its first endpoint forgets the flows that were refused", () => {
  assert.deepEqual(staleConntrackDeletes(state([]), state(["10.244.1.2"])), [["-D", "-p", "udp", "--orig-dst", "10.96.0.10", "--orig-port-dst", "53"]]);
});

test("nothing on the first sync, on unchanged endpoints, or for TCP", () => {
  assert.deepEqual(staleConntrackDeletes(undefined, state(["10.244.1.2"])), []);
  assert.deepEqual(staleConntrackDeletes(state(["10.244.1.2"]), state(["10.244.1.2"])), []);
  const tcp = (ips: string[]) => buildProxyState([service("w", { clusterIP: "10.96.0.9", ports: [{ port: 80 }] })], [slice("w", [{ port: 80 }], ips.map((ip) => ({ ip })))], { nodeName: "n1" });
  assert.deepEqual(staleConntrackDeletes(tcp(["10.244.1.2"]), tcp([])), []);
});

test("a deleted service's endpoints are all flushed; conntrack's 'nothing deleted' exit is not an error", async () => {
  const deletes = staleConntrackDeletes(state(["10.244.1.2"]), { ports: [] });
  assert.deepEqual(deletes, [["-D", "-p", "udp", "--orig-dst", "10.96.0.10", "--dst-nat", "10.244.1.2"]]);
  const calls: string[][] = [];
  const runner: CommandRunner = { run: async (argv) => (calls.push(argv), { code: 1, stdout: "", stderr: "conntrack v1.4.7 (conntrack-tools): 0 flow entries have been deleted.\n" }) };
  await flushConntrack(runner, deletes);
  assert.deepEqual(calls, [["conntrack", ...deletes[0]!]]);
  const missing: CommandRunner = { run: async () => Promise.reject(new Error("cannot run conntrack: ENOENT")) };
  await flushConntrack(missing, deletes);
});
