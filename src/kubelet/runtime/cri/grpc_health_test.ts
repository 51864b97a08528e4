// The hand-written health check client against a gRPC server made with @grpc/grpc-js (its own protobuf codecs), on
// loopback.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import * as grpc from "@grpc/grpc-js";
import { fromJSON } from "@grpc/proto-loader";
import protobuf from "protobufjs";
import { decodeHealthCheckResponse, encodeHealthCheckRequest, grpcHealthCheck } from "./grpc_health.js";

const HEALTH_PROTO = `
syntax = "proto3";
package grpc.health.v1;
message HealthCheckRequest { string service = 1; }
message HealthCheckResponse {
  enum ServingStatus { UNKNOWN = 0; SERVING = 1; NOT_SERVING = 2; SERVICE_UNKNOWN = 3; }
  ServingStatus status = 1;
}
service Health { rpc Check(HealthCheckRequest) returns (HealthCheckResponse); }
`;

describe("grpc health check client", () => {
  let server: grpc.Server;
  let port = 0;
  const services: Record<string, string> = { "": "SERVING", db: "NOT_SERVING" };
  const asked: string[] = [];

  before(async () => {
    const def = fromJSON(protobuf.parse(HEALTH_PROTO).root.toJSON(), { enums: String, defaults: true });
    const pkg = grpc.loadPackageDefinition(def) as unknown as { grpc: { health: { v1: { Health: { service: grpc.ServiceDefinition } } } } };
    server = new grpc.Server();
    server.addService(pkg.grpc.health.v1.Health.service, {
      Check: (call: grpc.ServerUnaryCall<{ service: string }, object>, cb: grpc.sendUnaryData<object>) => {
        asked.push(call.request.service);
        if (call.request.service === "slow") return void setTimeout(() => cb(null, { status: "SERVING" }), 3000);
        const status = services[call.request.service];
        if (!status) return cb({ code: grpc.status.NOT_FOUND, details: "unknown service" });
        cb(null, { status });
      },
    });
    port = await new Promise<number>((resolve, reject) => server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
  });
  after(() => server.forceShutdown());

  it("encodes the request and decodes the response as protobuf does", () => {
    assert.deepEqual([...encodeHealthCheckRequest("")], [0, 0, 0, 0, 0]);
    assert.deepEqual([...encodeHealthCheckRequest("db")], [0, 0, 0, 0, 4, 0x0a, 2, 0x64, 0x62]);
    assert.equal(decodeHealthCheckResponse(Buffer.from([0, 0, 0, 0, 2, 0x08, 1])), "SERVING");
    assert.equal(decodeHealthCheckResponse(Buffer.from([0, 0, 0, 0, 0])), "UNKNOWN");
    // Unknown fields before the status are skipped.
    assert.equal(decodeHealthCheckResponse(Buffer.from([0, 0, 0, 0, 6, 0x12, 2, 0x61, 0x62, 0x08, 2])), "NOT_SERVING");
  });

  it("answers success for SERVING and failure for other statuses and gRPC errors", async () => {
    assert.deepEqual(await grpcHealthCheck({ host: "127.0.0.1", port, timeoutMs: 5000 }), { ok: true, message: "" });
    const down = await grpcHealthCheck({ host: "127.0.0.1", port, service: "db", timeoutMs: 5000 });
    assert.deepEqual(down, { ok: false, message: `service unhealthy (responded with "NOT_SERVING")` });
    const unknown = await grpcHealthCheck({ host: "127.0.0.1", port, service: "nope", timeoutMs: 5000 });
    assert.equal(unknown.ok, false);
    assert.match(unknown.message, /grpc status 5 unknown service/);
    assert.deepEqual(asked.slice(-3), ["", "db", "nope"]);
  });

  it("fails on a refused connection and on a timeout", async () => {
    const probe = new grpc.Server();
    const closed = await new Promise<number>((resolve, reject) => probe.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
    probe.forceShutdown();
    const refused = await grpcHealthCheck({ host: "127.0.0.1", port: closed, timeoutMs: 5000 });
    assert.equal(refused.ok, false);
    const slow = await grpcHealthCheck({ host: "127.0.0.1", port, service: "slow", timeoutMs: 300 });
    assert.equal(slow.ok, false);
    assert.match(slow.message, /timeout/);
  });
});
