// kubectl drain against a PodDisruptionBudget, end to end: k8ts server (API server, controller manager with the
// disruption controller, scheduler) with three hollow nodes, driven by the real kubectl 1.31. A drain moves a
// Deployment's pods off a node no faster than the budget allows, and a budget that allows nothing stops a drain.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { okOutput, pollUntil, startHollowServer, type HollowServer } from "./hollow_testing.js";

const KUBECTL = "/usr/lib/google-cloud-sdk/bin/kubectl.1.31";
const skip = !existsSync(KUBECTL) ? `${KUBECTL} is not installed` : false;
const BUDGET_REFUSAL = "Cannot evict pod as it would violate the pod's disruption budget";

describe("kubectl drain with a PodDisruptionBudget on hollow nodes", { skip }, () => {
  let h: HollowServer;
  let k: HollowServer["kubectl"];
  const ok = okOutput;

  before(async () => {
    h = await startHollowServer({ prefix: "k8ts-drain-", kubectl: KUBECTL, nodes: 3 });
    k = h.kubectl;
  });
  after(() => h?.stop());

  /** "name node" of each Running and Ready pod of the Deployment, sorted. */
  const readyPods = async (): Promise<string[]> =>
    ok(await k(["get", "pods", "-l", "app=web", "-o", 'jsonpath={range .items[?(@.status.phase=="Running")]}{.metadata.name} {.spec.nodeName} {.status.conditions[?(@.type=="Ready")].status} {.metadata.deletionTimestamp}{"\\n"}{end}']))
      .split("\n")
      .map((l) => l.trim().split(" "))
      .filter((f) => f[2] === "True" && f.length === 3)
      .map((f) => `${f[0]} ${f[1]}`)
      .sort();
  const allowed = async (): Promise<string> => ok(await k(["get", "pdb", "web", "-o", "jsonpath={.status.observedGeneration}/{.metadata.generation} {.status.currentHealthy} {.status.disruptionsAllowed}"]));

  it("evicts the node's pods one by one as replacements turn Ready, then reports the node drained", async () => {
    // All three replicas on hollow-node-0: the other nodes are cordoned while they are scheduled.
    ok(await k(["cordon", "hollow-node-1", "hollow-node-2"]));
    ok(await k(["create", "deployment", "web", "--image=nginx:1.27", "--replicas=3"]));
    const placed = await pollUntil("3 Ready pods", async () => ((await readyPods()).length === 3 ? readyPods() : undefined));
    assert.ok(placed.every((p) => p.endsWith(" hollow-node-0")), placed.join(", "));
    ok(await k(["uncordon", "hollow-node-1", "hollow-node-2"]));
    ok(await k(["create", "pdb", "web", "--selector=app=web", "--min-available=2"]));
    await pollUntil("the budget to allow 1 disruption", async () => (await allowed()) === "1/1 3 1");
    const table = ok(await k(["get", "pdb", "web"]));
    assert.match(table, /^NAME\s+MIN AVAILABLE\s+MAX UNAVAILABLE\s+ALLOWED DISRUPTIONS\s+AGE\s*$/m);
    assert.match(table, /^web\s+2\s+N\/A\s+1\s+\S+\s*$/m);

    const drain = await k(["drain", "hollow-node-0", "--ignore-daemonsets", "--timeout=150s"]);
    const out = drain.stdout + drain.stderr;
    assert.equal(drain.code, 0, out);
    assert.match(out, /node\/hollow-node-0 drained/);
    for (const p of placed) assert.match(out, new RegExp(`pod/${p.split(" ")[0]} evicted`));
    // kubectl evicts the three at once; the budget lets one go, the others wait for a replacement to be Ready.
    assert.ok(out.includes(BUDGET_REFUSAL), out);

    const moved = await pollUntil("3 Ready pods off hollow-node-0", async () => {
      const now = await readyPods();
      return now.length === 3 && now.every((p) => !p.endsWith(" hollow-node-0")) ? now : undefined;
    });
    assert.equal(moved.length, 3);
    await pollUntil("the budget to allow 1 disruption again", async () => (await allowed()) === "1/1 3 1");
    assert.match(ok(await k(["get", "node", "hollow-node-0", "--no-headers"])), /Ready,SchedulingDisabled/);
  });

  it("a budget that allows nothing stops a drain, which fails at its timeout leaving the pods in place", async () => {
    ok(await k(["patch", "pdb", "web", "--type=merge", "-p", '{"spec":{"minAvailable":3}}']));
    await pollUntil("the budget to allow no disruption", async () => (await allowed()) === "2/2 3 0");
    assert.match(ok(await k(["describe", "pdb", "web"])), /Allowed disruptions:\s+0/);
    const before = await readyPods();
    const node = before[0]!.split(" ")[1]!;
    const drain = await k(["drain", node, "--ignore-daemonsets", "--timeout=12s"]);
    const out = drain.stdout + drain.stderr;
    assert.notEqual(drain.code, 0, out);
    assert.ok(out.includes(BUDGET_REFUSAL), out);
    assert.deepEqual(await readyPods(), before, "every pod still running where it was");
    ok(await k(["uncordon", node]));
  });
});
