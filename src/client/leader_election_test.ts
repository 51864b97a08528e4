import { test } from "node:test";
import assert from "node:assert/strict";
import { StatusError } from "../machinery/errors.js";
import { createClient } from "./rest_client.js";
import { LeaderElector, type Lease } from "./leader_election.js";
import { resources } from "./resources.js";
import { startFakeApiServer } from "./testing/fake_apiserver.js";

async function until(cond: () => boolean, what: string, ms = 5000): Promise<number> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return Date.now() - start;
}

function candidate(server: string, identity: string, releaseOnCancel: boolean) {
  const client = createClient({ server });
  const ac = new AbortController();
  const state = { leading: false, started: 0, stopped: 0, leaderSignal: undefined as AbortSignal | undefined };
  const elector = new LeaderElector({
    client,
    namespace: "kube-system",
    name: "k8ts-controller-manager",
    identity,
    leaseDurationMs: 1000,
    renewDeadlineMs: 700,
    retryPeriodMs: 100,
    releaseOnCancel,
    callbacks: {
      onStartedLeading: (s) => {
        state.leading = true;
        state.started++;
        state.leaderSignal = s;
      },
      onStoppedLeading: () => {
        state.leading = false;
        state.stopped++;
      },
    },
  });
  const done = elector.run(ac.signal);
  return { elector, state, stop: () => ac.abort(), done, close: () => client.close() };
}

test("two candidates: one leads; when it stops without releasing the other takes over after the lease expires", async (t) => {
  const srv = await startFakeApiServer();
  t.after(() => srv.close());
  const a = candidate(srv.url, "a", false);
  await until(() => a.state.leading, "a leads");
  const b = candidate(srv.url, "b", false);
  t.after(() => (b.stop(), a.close(), b.close()));
  // Several renew periods pass: b must not take over a lease a keeps renewing.
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(a.state.leading, true);
  assert.equal(b.state.leading, false);
  assert.equal(b.elector.getLeader(), "a");
  a.stop();
  await a.done;
  assert.equal(a.state.stopped, 1);
  assert.equal(a.state.leaderSignal?.aborted, true, "the leader's work is cancelled");
  const waited = await until(() => b.state.leading, "b takes over");
  assert.ok(waited >= 700, `b waited for the lease to expire (${waited} ms)`);
  const lease = (await createClient({ server: srv.url }).resource<Lease>(resources.leases).get("kube-system", "k8ts-controller-manager")).spec!;
  assert.equal(lease.holderIdentity, "b");
  assert.equal(lease.leaseTransitions, 1);
  assert.equal(lease.leaseDurationSeconds, 1);
  assert.match(lease.renewTime!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
});

test("a leader that releases on stop hands over at once", async (t) => {
  const srv = await startFakeApiServer();
  t.after(() => srv.close());
  const a = candidate(srv.url, "a", true);
  await until(() => a.state.leading, "a leads");
  const b = candidate(srv.url, "b", true);
  t.after(() => (b.stop(), a.close(), b.close()));
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(b.state.leading, false);
  a.stop();
  await a.done;
  const waited = await until(() => b.state.leading, "b takes over");
  assert.ok(waited < 700, `handover after release is quick (${waited} ms)`);
});

test("a leader that cannot renew (API failing) stops leading within the renew deadline", async (t) => {
  const srv = await startFakeApiServer();
  t.after(() => srv.close());
  const a = candidate(srv.url, "a", false);
  t.after(() => (a.stop(), a.close()));
  await until(() => a.state.leading, "a leads");
  srv.injectError({ path: "/leases/", times: 1000, error: new StatusError({ code: 500, reason: "InternalError", message: "down" }) });
  const waited = await until(() => a.state.stopped === 1, "a steps down");
  assert.ok(waited < 1000, `stepped down before the lease could expire (${waited} ms)`);
  await a.done;
});
