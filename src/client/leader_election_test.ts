import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { StatusError } from "../machinery/errors.js";
import { FakeClock } from "./clock.js";
import { createClient } from "./rest_client.js";
import { LeaderElector, type Lease } from "./leader_election.js";
import { resources } from "./resources.js";
import { startFakeApiServer } from "./testing/fake_apiserver.js";

// The candidates run on one fake clock, so the lease arithmetic is checked in the electors' own time whatever the
// machine's load: time moves only while every candidate sleeps (each has a timer pending), and a request to the
// API server takes no clock time. Real time is only the bound of a wait that never ends (a hang).

/** Real-time wait (macrotask by macrotask) until cond holds. */
async function settle(cond: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 60_000;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

/**
 * Moves the clock 10 ms at a time, each step once all `sleepers` candidates are asleep, until cond holds; returns
 * the clock time that took.
 */
async function advanceUntil(clock: FakeClock, sleepers: number, cond: () => boolean, what: string, maxMs = 10_000, srv?: { busy(): number }): Promise<number> {
  const start = clock.now();
  while (!cond()) {
    if (clock.now() - start > maxMs) throw new Error(`${what}: not within ${maxMs} ms of clock time`);
    // A candidate waiting on an answer also has a timer (its renew deadline): the server must be idle too.
    await settle(() => (clock.pending() >= sleepers && (srv?.busy() ?? 0) === 0) || cond(), `${what}: candidates asleep`);
    if (!cond()) clock.advance(10);
  }
  return clock.now() - start;
}

function candidate(server: string, identity: string, releaseOnCancel: boolean, clock: FakeClock) {
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
    clock,
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
  const clock = new FakeClock();
  const a = candidate(srv.url, "a", false, clock);
  await advanceUntil(clock, 1, () => a.state.leading, "a leads", 10_000, srv);
  const b = candidate(srv.url, "b", false, clock);
  t.after(() => (b.stop(), a.close(), b.close()));
  // Several renew periods pass: b must not take over a lease a keeps renewing.
  await advanceUntil(clock, 2, () => b.state.leading, "b leads", 1500, srv).then(
    () => assert.fail("b took over a lease a was renewing"),
    (err: Error) => assert.match(err.message, /not within 1500 ms/),
  );
  assert.equal(a.state.leading, true);
  assert.equal(b.state.leading, false);
  assert.equal(b.elector.getLeader(), "a");
  a.stop();
  await a.done;
  assert.equal(a.state.stopped, 1);
  assert.equal(a.state.leaderSignal?.aborted, true, "the leader's work is cancelled");
  const waited = await advanceUntil(clock, 1, () => b.state.leading, "b takes over", 10_000, srv);
  assert.ok(waited >= 700, `b waited for the lease to expire (${waited} ms of clock time)`);
  const lease = (await createClient({ server: srv.url }).resource<Lease>(resources.leases).get("kube-system", "k8ts-controller-manager")).spec!;
  assert.equal(lease.holderIdentity, "b");
  assert.equal(lease.leaseTransitions, 1);
  assert.equal(lease.leaseDurationSeconds, 1);
  assert.match(lease.renewTime!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
});

test("a leader that releases on stop hands over at once", async (t) => {
  const srv = await startFakeApiServer();
  t.after(() => srv.close());
  const clock = new FakeClock();
  const a = candidate(srv.url, "a", true, clock);
  await advanceUntil(clock, 1, () => a.state.leading, "a leads", 10_000, srv);
  const b = candidate(srv.url, "b", true, clock);
  t.after(() => (b.stop(), a.close(), b.close()));
  await advanceUntil(clock, 2, () => b.state.leading, "b leads", 300, srv).catch(() => undefined);
  assert.equal(b.state.leading, false);
  a.stop();
  await a.done;
  const waited = await advanceUntil(clock, 1, () => b.state.leading, "b takes over", 10_000, srv);
  assert.ok(waited < 700, `handover after release is quick (${waited} ms of clock time)`);
});

/** A leader whose lease renewals then fail as `fault` says must step down at the renew deadline, before its lease ends. */
async function stepsDownAtRenewDeadline(t: TestContext, fault: { error?: StatusError; hang?: boolean }): Promise<void> {
  const srv = await startFakeApiServer();
  t.after(() => srv.close());
  const clock = new FakeClock();
  const a = candidate(srv.url, "a", false, clock);
  t.after(() => (a.stop(), a.close()));
  await advanceUntil(clock, 1, () => a.state.leading, "a leads", 10_000, srv);
  srv.injectError({ path: "/leases/", times: 1000, ...fault });
  const waited = await advanceUntil(clock, 1, () => a.state.stopped === 1, "a steps down", 10_000, srv);
  assert.ok(waited >= 600 && waited < 1000, `stepped down at the renew deadline, before the lease could expire (${waited} ms of clock time)`);
  assert.equal(a.state.leaderSignal?.aborted, true, "the leader's work is cancelled");
  await a.done;
}

test("a leader that cannot renew (API failing) stops leading within the renew deadline", (t) =>
  stepsDownAtRenewDeadline(t, { error: new StatusError({ code: 500, reason: "InternalError", message: "down" }) }));

test("a leader whose renewal hangs steps down at the renew deadline, not when the request ends", (t) => stepsDownAtRenewDeadline(t, { hang: true }));
