// Issue 9 end to end on one machine: k8ts server (API server, controller manager, scheduler, metrics server)
// with two hollow nodes serving their stats endpoints on loopback, driven by the real kubectl 1.31. Usage is
// scripted with the simulated runtime's sim.k8ts.io/cpu-<c> and memory-<c> pod annotations; load changes by
// patching the Deployment's template (running containers keep the usage they started with). Waits are generous
// polls, never timings the test depends on.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { okOutput, pollUntil, startHollowServer, type HollowServer } from "./hollow_testing.js";

const KUBECTL = "/usr/lib/google-cloud-sdk/bin/kubectl.1.31";
const skip = !existsSync(KUBECTL) ? `${KUBECTL} is not installed` : false;

describe("autoscaling with the real kubectl: top and HPA on hollow nodes", { skip }, () => {
  let h: HollowServer;
  let k: HollowServer["kubectl"];

  before(async () => {
    h = await startHollowServer({ prefix: "k8ts-autoscaling-", kubectl: KUBECTL });
    k = h.kubectl;
  });

  after(() => h?.stop());

  const ok = okOutput;

  it("kubectl top pods and nodes show the usage the pods report", async () => {
    ok(await k(["create", "namespace", "other"]));
    const pod = (name: string, ns: string, labels: string, usage: Record<string, [string, string]>): string =>
      [
        "apiVersion: v1",
        "kind: Pod",
        `metadata: {name: ${name}, namespace: ${ns}, labels: {${labels}}, annotations: {${Object.entries(usage).map(([c, [cpu, mem]]) => `sim.k8ts.io/cpu-${c}: "${cpu}", sim.k8ts.io/memory-${c}: "${mem}"`).join(", ")}}}`,
        "spec:",
        "  containers:",
        ...Object.keys(usage).map((c) => `  - {name: ${c}, image: "nginx:1.27"}`),
      ].join("\n");
    ok(await k(["apply", "-f", "-"], [pod("busy", "default", "app: busy", { a: ["250m", "64Mi"], b: ["50m", "16Mi"] }), pod("idle", "default", "app: idle", { c: ["20m", "8Mi"] }), pod("elsewhere", "other", "app: busy", { d: ["100m", "32Mi"] })].join("\n---\n")));

    const top = await pollUntil("metrics of every pod", async () => {
      const r = await k(["top", "pods", "-A"]);
      return r.code === 0 && /elsewhere/.test(r.stdout) && /busy/.test(r.stdout) && /idle/.test(r.stdout) && r.stdout;
    });
    assert.match(top, /^NAMESPACE\s+NAME\s+CPU\(cores\)\s+MEMORY\(bytes\)\s*$/m);
    assert.match(top, /^default\s+busy\s+300m\s+80Mi\s*$/m);
    assert.match(top, /^default\s+idle\s+20m\s+8Mi\s*$/m);
    assert.match(top, /^other\s+elsewhere\s+100m\s+32Mi\s*$/m);

    const containers = ok(await k(["top", "pod", "busy", "--containers"]));
    assert.match(containers, /^busy\s+a\s+250m\s+64Mi\s*$/m);
    assert.match(containers, /^busy\s+b\s+50m\s+16Mi\s*$/m);

    const labelled = ok(await k(["top", "pods", "-A", "-l", "app=busy", "--sort-by=cpu"]));
    const names = labelled.trim().split("\n").slice(1).map((l) => l.split(/\s+/)[1]);
    assert.deepEqual(names, ["busy", "elsewhere"], "highest cpu first, idle filtered out");
    const byMemory = ok(await k(["top", "pods", "--sort-by=memory", "--no-headers"]));
    assert.deepEqual(byMemory.trim().split("\n").map((l) => l.split(/\s+/)[0]), ["busy", "idle"]);

    const nodes = ok(await k(["top", "nodes"]));
    assert.match(nodes, /^NAME\s+CPU\(cores\)\s+CPU%\s+MEMORY\(bytes\)\s+MEMORY%\s*$/m);
    // Hollow nodes have no system processes: their usage is their pods' (420m and 120Mi in all).
    const rows = nodes.trim().split("\n").slice(1).map((l) => l.split(/\s+/));
    assert.deepEqual(rows.map((r) => r[0]).sort(), ["hollow-node-0", "hollow-node-1"]);
    assert.equal(rows.reduce((s, r) => s + Number(r[1]!.replace(/m$/, "")), 0), 420);
    assert.equal(rows.reduce((s, r) => s + Number(r[3]!.replace(/Mi$/, "")), 0), 120);
    const one = ok(await k(["top", "node", "hollow-node-1", "--no-headers"]));
    assert.match(one, /^hollow-node-1\s+\d+m\s+\d+%\s+\d+Mi\s+\d+%/);
    const missing = await k(["top", "pod", "nope"]);
    assert.notEqual(missing.code, 0);
  });

  it("kubectl autoscale: 2 -> 10 replicas under load and back to 2 when it drops", async () => {
    const deployment = (cpu: string): string =>
      [
        "apiVersion: apps/v1",
        "kind: Deployment",
        "metadata: {name: web}",
        "spec:",
        "  replicas: 2",
        "  selector: {matchLabels: {app: web}}",
        "  template:",
        `    metadata: {labels: {app: web}, annotations: {sim.k8ts.io/cpu-c: "${cpu}", sim.k8ts.io/memory-c: "32Mi"}}`,
        "    spec:",
        "      containers:",
        "      - {name: c, image: nginx:1.27, resources: {requests: {cpu: 100m, memory: 64Mi}}}",
      ].join("\n");
    ok(await k(["apply", "-f", "-"], deployment("90m")));
    assert.match(ok(await k(["autoscale", "deployment", "web", "--cpu-percent=50", "--min=2", "--max=10"])), /horizontalpodautoscaler.autoscaling\/web autoscaled/);
    // Scale down after 5 s of low recommendations instead of 5 minutes.
    ok(await k(["patch", "hpa", "web", "--type=merge", "-p", JSON.stringify({ spec: { behavior: { scaleDown: { stabilizationWindowSeconds: 5 } } } })]));

    // 90% of the request against 50%: the HPA keeps doubling (each pod stays at 90%) up to the maximum.
    const table = await pollUntil("TARGETS cpu: 90%/50%", async () => {
      const out = ok(await k(["get", "hpa", "web"]));
      return /cpu: 90%\/50%/.test(out) && out;
    });
    assert.match(table, /^NAME\s+REFERENCE\s+TARGETS\s+MINPODS\s+MAXPODS\s+REPLICAS\s+AGE\s*$/m);
    assert.match(table, /^web\s+Deployment\/web\s+cpu: 90%\/50%\s+2\s+10\s+\d+/m);
    await pollUntil("10 replicas", async () => ok(await k(["get", "deploy", "web", "-o", "jsonpath={.spec.replicas}"])) === "10");
    // The HPA writes its SuccessfulRescale event after the new scale, so the event may land after the scale was seen.
    const rescales = (): Promise<string> => k(["get", "events", "--field-selector", "reason=SuccessfulRescale", "-o", "jsonpath={range .items[*]}{.message}{\"\\n\"}{end}"]).then(ok);
    const events = await pollUntil("the SuccessfulRescale event to 10", async () => {
      const out = await rescales();
      return /^New size: 10; /m.test(out) && out;
    });
    assert.match(events, /^New size: 4; reason: cpu resource utilization \(percentage of request\) above target$/m);
    assert.match(events, /^New size: 10; reason: cpu resource utilization \(percentage of request\) above target$/m);
    const hpa = JSON.parse(ok(await k(["get", "hpa.v2.autoscaling", "web", "-o", "json"])));
    const cond = (t: string): string | undefined => hpa.status.conditions.find((c: { type: string }) => c.type === t)?.status;
    assert.equal(cond("AbleToScale"), "True");
    assert.equal(cond("ScalingActive"), "True");
    assert.ok(hpa.status.lastScaleTime);

    // The load drops to 10% per pod: the new pods replace the old ones, and after the window the HPA goes to 2.
    ok(await k(["apply", "-f", "-"], deployment("10m").replace("replicas: 2", "replicas: 10")));
    await pollUntil("2 replicas", async () => ok(await k(["get", "deploy", "web", "-o", "jsonpath={.spec.replicas}"])) === "2", { maxMs: 180_000 });
    const down = await pollUntil("the SuccessfulRescale event to 2", async () => {
      const out = await rescales();
      return /^New size: 2; /m.test(out) && out;
    });
    assert.match(down, /^New size: 2; reason: All metrics below target$/m);
    await pollUntil("TARGETS cpu: 10%/50%", async () => /cpu: 10%\/50%/.test(ok(await k(["get", "hpa", "web"]))));
    const described = ok(await k(["describe", "hpa", "web"]));
    assert.match(described, /resource cpu on pods\s+\(as a percentage of request\):\s+10% \(10m\) \/ 50%/);
    assert.match(described, /ScalingActive\s+True\s+ValidMetricFound/);
    assert.match(described, /Normal\s+SuccessfulRescale\s+.*New size: 2; reason: All metrics below target/);
  });
});
