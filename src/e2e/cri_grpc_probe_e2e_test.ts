// grpc probes on a real node (containerd, the agent's CRI prober, kubectl 1.31) against a real gRPC health server in
// the pod: a busybox container runs the host's node binary (read-only hostPath mounts of /usr and the library
// directories) with a server made with @grpc/grpc-js (the project's node_modules, mounted read-only), so the
// kubelet's hand-written client meets an independent implementation in the pod's network namespace. The server
// answers SERVING for "" unless the file `unready` exists in its state directory (a hostPath the test writes),
// NOT_SERVING for "broken", and logs every check with its service name.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import type { Pod } from "kubernetes-types/core/v1.js";
import { criNodeSkip, startCriNode, type CriNode } from "./cri_node_harness.js";

const NODE_MODULES = resolve(dirname(fileURLToPath(import.meta.url)), "../../node_modules");
const PORT = 50051;

const HEALTH_PROTO = `syntax = "proto3";
package grpc.health.v1;
message HealthCheckRequest { string service = 1; }
message HealthCheckResponse {
  enum ServingStatus { UNKNOWN = 0; SERVING = 1; NOT_SERVING = 2; SERVICE_UNKNOWN = 3; }
  ServingStatus status = 1;
}
service Health { rpc Check(HealthCheckRequest) returns (HealthCheckResponse); }
`;

const SERVER = `
const fs = require("fs");
const grpc = require("@grpc/grpc-js");
const loader = require("@grpc/proto-loader");
const def = loader.loadSync("/srv/health.proto", { enums: String, defaults: true });
const health = grpc.loadPackageDefinition(def).grpc.health.v1;
const server = new grpc.Server();
server.addService(health.Health.service, {
  Check(call, cb) {
    const service = call.request.service;
    console.log("check " + JSON.stringify(service));
    if (service === "") return cb(null, { status: fs.existsSync("/state/unready") ? "NOT_SERVING" : "SERVING" });
    if (service === "broken") return cb(null, { status: "NOT_SERVING" });
    cb({ code: grpc.status.NOT_FOUND, details: "unknown service" });
  },
});
server.bindAsync("0.0.0.0:${PORT}", grpc.ServerCredentials.createInsecure(), (err) => {
  if (err) { console.error(err.message); process.exit(1); }
  console.log("serving");
});
process.on("SIGTERM", () => process.exit(0));
`;

describe("grpc probes on containerd", { skip: criNodeSkip() }, () => {
  let n: CriNode;
  let srv: string;
  let state: string;

  const ro = (name: string, path: string, mountPath: string): { volume: object; mount: object } => ({
    volume: { name, hostPath: { path, type: "Directory" } },
    mount: { name, mountPath, readOnly: true },
  });
  /** A pod whose container runs the health server, with the given probes. */
  const serverPod = (probes: Record<string, unknown>): Record<string, unknown> => {
    const mounts = [ro("usr", "/usr", "/usr"), ro("lib", "/usr/lib", "/lib"), ro("lib64", "/usr/lib64", "/lib64"), ro("modules", NODE_MODULES, "/modules"), ro("srv", srv, "/srv")];
    return {
      volumes: [...mounts.map((m) => m.volume), { name: "state", hostPath: { path: state, type: "Directory" } }],
      containers: [
        {
          name: "server",
          image: "busybox",
          command: ["/usr/bin/node", "/srv/server.cjs"],
          env: [{ name: "NODE_PATH", value: "/modules" }],
          ports: [{ containerPort: PORT }],
          volumeMounts: [...mounts.map((m) => m.mount), { name: "state", mountPath: "/state" }],
          ...probes,
        },
      ],
    };
  };
  const ready = (p: Pod): boolean | undefined => (p.status?.conditions ?? []).find((c) => c.type === "Ready")?.status === "True";

  before(async () => {
    srv = mkdtempSync(join(tmpdir(), "k8ts-grpc-srv-"));
    state = mkdtempSync(join(tmpdir(), "k8ts-grpc-state-"));
    writeFileSync(join(srv, "health.proto"), HEALTH_PROTO);
    writeFileSync(join(srv, "server.cjs"), SERVER);
    n = await startCriNode("grpcprobe", { podCIDR: "10.88.24.0/24", nodeIP: "10.88.24.1" });
  });
  after(async () => {
    await n?.close();
    for (const d of [srv, state]) if (d) rmSync(d, { recursive: true, force: true });
  });

  it("turns Ready on SERVING and off on NOT_SERVING, without restarts", async () => {
    await n.apply("grpc-ready", serverPod({ readinessProbe: { grpc: { port: PORT }, periodSeconds: 1, failureThreshold: 1, timeoutSeconds: 3 } }));
    let p = await n.waitFor("grpc-ready", "Ready", (x) => ready(x) === true, 90_000);
    assert.match(n.logOf(p, "server"), /stdout F check ""/);
    writeFileSync(join(state, "unready"), "");
    p = await n.waitFor("grpc-ready", "not Ready", (x) => ready(x) === false && x.status?.containerStatuses?.[0]?.ready === false, 60_000);
    assert.equal(p.status!.containerStatuses![0]!.restartCount, 0);
    assert.ok(p.status!.containerStatuses![0]!.state?.running, "readiness failures do not stop the container");
    unlinkSync(join(state, "unready"));
    await n.waitFor("grpc-ready", "Ready again", (x) => ready(x) === true, 60_000);
    const events = await n.events("grpc-ready");
    assert.ok(events.some((e) => e.reason === "Unhealthy" && /Readiness probe failed/.test(e.message ?? "")), events.map((e) => `${e.reason}: ${e.message}`).join("\n"));
  });

  it("restarts a container whose grpc liveness probe names a NOT_SERVING service", async () => {
    await n.apply("grpc-live", serverPod({ livenessProbe: { grpc: { port: PORT, service: "broken" }, initialDelaySeconds: 3, periodSeconds: 1, failureThreshold: 2, timeoutSeconds: 3 } }));
    const p = await n.waitFor("grpc-live", "a restart", (x) => (x.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1, 120_000);
    // The probe reached the server in the pod and asked about the named service.
    assert.match(n.logOf(p, "server", 0), /stdout F check "broken"/);
    const events = await n.events("grpc-live");
    assert.ok(events.some((e) => e.reason === "Killing" && /failed liveness probe/.test(e.message ?? "")), events.map((e) => `${e.reason}: ${e.message}`).join("\n"));
  });
});
