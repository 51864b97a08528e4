// Crash-loop back-off on a real node (containerd, the agent, kubectl 1.31): a container that exits 1 under
// restartPolicy Always is restarted at once, then after 10 s, 20 s and 40 s, as the kubelet does. The start and exit
// times of every attempt are read from the runtime as they happen (exited attempts beyond the newest two are
// garbage collected), in milliseconds. About 80 s.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { ContainerStatus } from "../kubelet/runtime/types.js";
import { POD_UID_LABEL } from "../kubelet/pod_config.js";
import { KUBECTL, criNodeSkip, startCriNode, type CriNode } from "./cri_node_harness.js";

/** Back-off before restarts 2, 3 and 4 (restart 1 is immediate). */
const EXPECTED_S = [10, 20, 40];

describe("crash-loop back-off on containerd", { skip: criNodeSkip() }, () => {
  let n: CriNode;
  before(async () => {
    n = await startCriNode("crashloop", { podCIDR: "10.88.21.0/24", nodeIP: "10.88.21.1" });
  });
  after(async () => {
    await n?.close();
  });

  it("restarts a failing container after 10 s, 20 s, 40 s and shows CrashLoopBackOff meanwhile", { timeout: 240_000 }, async (t) => {
    const created = await n.apply("crashloop", { restartPolicy: "Always", containers: [{ name: "crash", image: "busybox", command: ["sh", "-c", "echo crashing; exit 1"] }] });
    const uid = created.metadata!.uid!;
    const attempts = new Map<number, ContainerStatus>();
    const t0 = Date.now();
    const seen40: unknown[] = [];
    let row40 = "";
    /** The waiting message the pod's status gave in each back-off, by restart count. */
    const waits = new Map<number, string>();
    // Poll the runtime for attempts 0..4, and the pod's status for what it says while it waits.
    while (!attempts.get(EXPECTED_S.length + 1)?.startedAt) {
      assert.ok(Date.now() - t0 < 200_000, `timed out; attempts so far ${JSON.stringify([...attempts.values()].map((a) => [a.metadata.attempt, a.startedAt, a.finishedAt]))}`);
      for (const c of await n.runtime.listContainers({ labelSelector: { [POD_UID_LABEL]: uid } })) {
        const st = await n.runtime.containerStatus(c.id).catch(() => undefined);
        if (st && (st.finishedAt || !attempts.get(st.metadata.attempt)?.finishedAt)) attempts.set(st.metadata.attempt, st);
      }
      const s = (await n.getPod("crashloop")).status?.containerStatuses?.[0];
      if (s?.state?.waiting?.reason === "CrashLoopBackOff" && s.restartCount <= EXPECTED_S.length && !waits.has(s.restartCount)) {
        waits.set(s.restartCount, s.state.waiting.message ?? "");
        if (s.restartCount === 3) {
          seen40.push(s);
          // kubectl reads the pod inside the same 40 s wait. After it, the next attempt is briefly Running and
          // Ready (1/1) before it exits, as on a real kubelet, so the row is only predictable here.
          row40 = await n.cluster.ok(["get", "pod", "crashloop", "--no-headers"], { bin: KUBECTL });
        }
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    const delays: number[] = [];
    for (let a = 1; a <= EXPECTED_S.length + 1; a++) {
      const prev = attempts.get(a - 1)!;
      const next = attempts.get(a)!;
      assert.ok(prev.finishedAt && next.startedAt, `attempt ${a - 1} finished and ${a} started`);
      delays.push(next.startedAt - prev.finishedAt);
      assert.equal(prev.exitCode, 1);
      assert.equal(prev.reason, "Error");
    }
    t.diagnostic(`restart delays after each exit (ms): ${delays.join(", ")} (machine shared with other test runs)`);
    // The first restart does not wait for a back-off.
    assert.ok(delays[0]! < 10_000 * 0.9, `first restart came after ${delays[0]} ms`);
    EXPECTED_S.forEach((s, i) => {
      const d = delays[i + 1]!;
      assert.ok(d >= s * 1000 * 0.9, `back-off ${i + 1} was ${d} ms, expected ${s} s`);
      assert.ok(d <= s * 1000 * 2 + 30_000, `back-off ${i + 1} was ${d} ms, far beyond ${s} s`);
    });
    // Each wait doubled the one before, as the status said while waiting (the measured delays above only bound
    // each wait from below and far above: how much later a restart comes depends on the machine's load).
    assert.deepEqual(
      [...waits].sort(([a], [b]) => a - b),
      EXPECTED_S.map((s, i) => [i + 1, `back-off ${s}s restarting failed container=crash pod=crashloop_default(${uid})`]),
    );

    // While it waited out the 40 s back-off the status said so, as kubectl shows it.
    assert.equal(seen40.length, 1, "saw the pod waiting in CrashLoopBackOff after the third restart");
    const s = seen40[0] as NonNullable<NonNullable<typeof created.status>["containerStatuses"]>[number];
    assert.equal(s.state!.waiting!.message, `back-off 40s restarting failed container=crash pod=crashloop_default(${uid})`);
    assert.equal(s.lastState!.terminated!.exitCode, 1);
    assert.equal(s.lastState!.terminated!.reason, "Error");
    assert.equal(s.ready, false);
    assert.match(row40, /^crashloop\s+0\/1\s+CrashLoopBackOff\s+3 \(\d+s ago\)\s+\S+$/m);
    const reasons = (await n.events("crashloop")).map((e) => e.reason);
    assert.ok(reasons.includes("BackOff"), `events: ${reasons.join(", ")}`);
  });
});
