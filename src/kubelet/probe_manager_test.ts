import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Container, Pod } from "kubernetes-types/core/v1.js";
import { FakeClock } from "../client/clock.js";
import { silentLogger } from "../util/log.js";
import { ProbeManager } from "./probe_manager.js";
import type { ProbeKind, ProbeResult } from "./types.js";

/** A prober whose answer per kind the test sets; it counts calls. */
function scriptedProber(): { answers: Record<ProbeKind, ProbeResult>; calls: ProbeKind[]; probe: (r: { kind: ProbeKind }) => Promise<ProbeResult> } {
  const p = {
    answers: { readiness: "success", liveness: "success", startup: "success" } as Record<ProbeKind, ProbeResult>,
    calls: [] as ProbeKind[],
    probe: async (r: { kind: ProbeKind }) => {
      p.calls.push(r.kind);
      return p.answers[r.kind];
    },
  };
  return p;
}

const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

async function step(clock: FakeClock, ms: number): Promise<void> {
  for (let t = 0; t < ms; t += 1000) {
    clock.advance(1000);
    await flush();
  }
}

describe("ProbeManager", () => {
  const pod: Pod = { metadata: { uid: "u" } };

  it("readiness starts false, turns true after successThreshold, false after failureThreshold", async () => {
    const clock = new FakeClock();
    const prober = scriptedProber();
    const changes: string[] = [];
    const m = new ProbeManager({ clock, prober, podOf: () => pod, onChange: (u) => changes.push(u), log: silentLogger });
    const c: Container = { name: "a", readinessProbe: { exec: { command: ["x"] }, initialDelaySeconds: 5, periodSeconds: 10, successThreshold: 2, failureThreshold: 3 } };
    m.ensure("u", c, "id1", clock.now());
    assert.equal(m.ready("id1"), false);
    await step(clock, 5000);
    assert.equal(prober.calls.length, 1, "first probe after the initial delay");
    assert.equal(m.ready("id1"), false, "one success is below the threshold of 2");
    await step(clock, 10_000);
    assert.equal(m.ready("id1"), true);
    prober.answers.readiness = "failure";
    await step(clock, 20_000);
    assert.equal(m.ready("id1"), true, "two failures are below 3");
    await step(clock, 10_000);
    assert.equal(m.ready("id1"), false);
    assert.deepEqual(changes, ["u", "u"]);
    m.stopAll();
    assert.equal(clock.pending(), 0, "no timers left");
  });

  it("a startup probe holds liveness and readiness until it passes; a failed liveness probe asks for a restart", async () => {
    const clock = new FakeClock();
    const prober = scriptedProber();
    prober.answers.startup = "failure";
    const m = new ProbeManager({ clock, prober, podOf: () => pod, onChange: () => {}, log: silentLogger });
    const c: Container = {
      name: "a",
      startupProbe: { exec: { command: ["x"] }, periodSeconds: 1, failureThreshold: 100 },
      readinessProbe: { exec: { command: ["x"] }, periodSeconds: 1 },
      livenessProbe: { exec: { command: ["x"] }, periodSeconds: 1, failureThreshold: 2 },
    };
    m.ensure("u", c, "id1", clock.now());
    await step(clock, 5000);
    assert.ok(prober.calls.every((k) => k === "startup"));
    assert.equal(m.started("id1"), false);
    prober.answers.startup = "success";
    await step(clock, 2000);
    assert.equal(m.started("id1"), true);
    assert.equal(m.ready("id1"), true);
    assert.equal(m.failed("id1"), undefined);
    prober.answers.liveness = "failure";
    await step(clock, 3000);
    assert.equal(m.failed("id1"), "liveness");
    m.stop("id1");
    assert.equal(m.failed("id1"), undefined);
  });
});
