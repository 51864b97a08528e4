import assert from "node:assert/strict";
import { describe, it } from "node:test";
import grpc from "@grpc/grpc-js";
import { isStorageError } from "../errors.js";
import { classifyFailure, EtcdClient } from "./etcd_client.js";
import { freePort } from "./testing.js";

function statusError(code: grpc.status, details: string): grpc.ServiceError {
  return Object.assign(new Error(details), { code, details, metadata: new grpc.Metadata() });
}

describe("etcd client failure classification", () => {
  it("retries anywhere what surely did not run", () => {
    assert.equal(classifyFailure(statusError(grpc.status.UNAVAILABLE, "etcdserver: no leader")), "not-sent");
    assert.equal(classifyFailure(statusError(grpc.status.UNAVAILABLE, "No connection established. Last error: connect ECONNREFUSED 127.0.0.1:2379")), "not-sent");
  });

  it("retries only reads when a request may have run", () => {
    assert.equal(classifyFailure(statusError(grpc.status.UNAVAILABLE, "Connection dropped")), "maybe-sent");
    assert.equal(classifyFailure(statusError(grpc.status.UNAVAILABLE, "etcdserver: request timed out")), "maybe-sent");
    assert.equal(classifyFailure(statusError(grpc.status.DEADLINE_EXCEEDED, "Deadline exceeded")), "maybe-sent");
  });

  it("does not retry answers from the server", () => {
    assert.equal(classifyFailure(statusError(grpc.status.OUT_OF_RANGE, "etcdserver: mvcc: required revision has been compacted")), "final");
    assert.equal(classifyFailure(statusError(grpc.status.INVALID_ARGUMENT, "etcdserver: request is too large")), "final");
  });
});

describe("etcd client with no live endpoint", () => {
  it("fails with Unavailable once its retry budget is spent, after trying every endpoint", async () => {
    const endpoints = [`127.0.0.1:${await freePort()}`, `127.0.0.1:${await freePort()}`];
    const client = new EtcdClient({ endpoints, retryBudgetMs: 300 });
    try {
      await assert.rejects(client.call("KV.Range", { key: Buffer.from("/x") }, { idempotent: true }), (err: unknown) => {
        assert.ok(isStorageError(err, "Unavailable"), String(err));
        assert.match((err as Error).message, new RegExp(endpoints[0]!.replace(/\./g, "\\.")));
        return true;
      });
    } finally {
      client.close();
    }
  });

  it("fails calls with Closed after close()", async () => {
    const client = new EtcdClient({ endpoints: ["127.0.0.1:1"] });
    client.close();
    await assert.rejects(client.call("KV.Range", { key: Buffer.from("/x") }, { idempotent: true }), (err: unknown) => isStorageError(err, "Closed"));
  });
});
