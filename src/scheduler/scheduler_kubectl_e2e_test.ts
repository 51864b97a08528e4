// The scheduler as a user sees it through the real kubectl 1.31: `k8ts server` (started in this process, with its
// in-process scheduler) and `k8ts sim --nodes 3` (a child process: three hollow nodes n1..n3); spreading,
// FailedScheduling shown by describe/events, cordon and uncordon, a NoSchedule taint added and removed with
// `kubectl taint`. scheduler/ may reach only daemons/ from a test, so kubectl and `k8ts sim` run as processes.
import assert from "node:assert/strict";
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, test } from "node:test";
import { startServer, type RunningServer } from "../daemons/server.js";
import { silentLogger } from "../util/log.js";

const KUBECTL = "/usr/lib/google-cloud-sdk/bin/kubectl.1.31";
const NODES = ["n1", "n2", "n3"];
// Generous: the machine is shared; a wait ends as soon as its condition holds.
const WAIT_MS = 60_000;

let dir: string;
let kubeconfig: string;
let server: RunningServer;
let sim: ChildProcess;
let simLog = "";

/** Runs kubectl 1.31 with the server's kubeconfig; fails with its output on a non-zero exit. */
function kubectl(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(KUBECTL, args, { env: { PATH: process.env.PATH, HOME: join(dir, "home"), KUBECONFIG: kubeconfig }, timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`kubectl ${args.join(" ")}: ${err.message}\nstdout: ${stdout}\nstderr: ${stderr}`));
      else resolve(String(stdout));
    });
  });
}

/** Polls fn until it answers a non-empty value; fails naming what it waited for after WAIT_MS. */
async function eventually<T>(what: string, fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** `k8ts sim` as a process: main.ts through tsx from source, the built main.js from dist/. */
function startSim(args: string[]): ChildProcess {
  const fromSource = import.meta.url.endsWith(".ts");
  const main = fileURLToPath(new URL(fromSource ? "../cli/main.ts" : "../cli/main.js", import.meta.url));
  const code = `import(${JSON.stringify(main)}).then((m) => m.main(process.argv.slice(1))).then((c) => { process.exitCode = c; })`;
  const child = spawn(process.execPath, [...(fromSource ? ["--import", "tsx"] : []), "--input-type=module", "-e", code, "sim", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  child.stdout!.on("data", (d: Buffer) => (simLog += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (simLog += d.toString()));
  return child;
}

const nodeOf = async (pod: string): Promise<string> => (await kubectl(["get", "pod", pod, "-o", "jsonpath={.spec.nodeName}"])).trim();
const scheduledFalse = async (pod: string): Promise<boolean> =>
  (await kubectl(["get", "pod", pod, "-o", `jsonpath={.status.conditions[?(@.type=="PodScheduled")].status}`])).trim() === "False";
const file = (name: string, text: string): string => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

const pod = (name: string, nodeSelector?: Record<string, string>): string => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  terminationGracePeriodSeconds: 0
${nodeSelector ? `  nodeSelector: ${JSON.stringify(nodeSelector)}\n` : ""}  containers:
  - name: main
    image: busybox
    resources: {requests: {cpu: 100m}}
`;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "k8ts-sched-kubectl-"));
  server = await startServer({ dataDir: join(dir, "server"), port: 0, bindAddress: "127.0.0.1", controllers: true, scheduler: true, logger: silentLogger });
  kubeconfig = join(dir, "server", "kubeconfig.yaml");
  sim = startSim(["--nodes", String(NODES.length), "--name-prefix", "n", "--start-index", "1", "--kubeconfig", kubeconfig, "--cpu", "4", "--memory", "8Gi", "--pods", "110"]);
  await eventually(`three Ready hollow nodes (sim output: ${simLog})`, async () => {
    if (sim.exitCode !== null) throw new Error(`k8ts sim exited ${sim.exitCode}: ${simLog}`);
    const out = await kubectl(["get", "nodes", "--no-headers"]);
    return NODES.every((n) => new RegExp(`^${n}\\s+Ready\\s`, "m").test(out));
  });
});

after(async () => {
  if (sim && sim.exitCode === null) {
    const exited = new Promise((r) => sim.once("exit", r));
    sim.kill("SIGTERM");
    await exited;
  }
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test("a deployment of 6 pods spreads over the 3 nodes (kubectl get pods -o wide)", async () => {
  await kubectl(["create", "deployment", "web", "--image=nginx:1.27", "--replicas=6"]);
  const wide = await eventually("6 web pods, each on a node", async () => {
    const out = await kubectl(["get", "pods", "-l", "app=web", "-o", "wide", "--no-headers"]);
    const lines = out.trim().split("\n").filter(Boolean);
    return lines.length === 6 && lines.every((l) => NODES.some((n) => l.includes(` ${n} `))) ? out : "";
  });
  for (const n of NODES) assert.match(wide, new RegExp(`\\s${n}\\s`), `a pod on ${n}`);
});

test("a nodeSelector no node matches: Pending, FailedScheduling in describe and events", async () => {
  await kubectl(["apply", "-f", file("nomatch.yaml", pod("nomatch", { disk: "ssd" }))]);
  const message = "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector.";
  const described = await eventually("FailedScheduling in describe", async () => {
    const out = await kubectl(["describe", "pod", "nomatch"]);
    return out.includes("FailedScheduling") && out.includes(message) ? out : "";
  });
  assert.match(described, /^Status:\s+Pending$/m);
  assert.match(described, /Warning\s+FailedScheduling\s+.*default-scheduler\s+0\/3 nodes are available/);
  const events = await kubectl(["events", "--for", "pod/nomatch"]);
  assert.match(events, /Warning\s+FailedScheduling\s+Pod\/nomatch\s+0\/3 nodes are available: 3 node\(s\) didn't match Pod's node affinity\/selector\./);
  assert.equal(await nodeOf("nomatch"), "");
  await kubectl(["delete", "pod", "nomatch"]);
});

test("cordon every node: a new pod stays Pending; uncordon n2: it lands on n2", async () => {
  assert.match(await kubectl(["cordon", ...NODES]), /node\/n1 cordoned/);
  assert.match(await kubectl(["get", "nodes", "n3", "--no-headers"]), /Ready,SchedulingDisabled/);
  await kubectl(["apply", "-f", file("waiter.yaml", pod("waiter"))]);
  await eventually("waiter PodScheduled=False", () => scheduledFalse("waiter"));
  assert.match(await kubectl(["describe", "pod", "waiter"]), /3 node\(s\) were unschedulable/);
  assert.equal(await nodeOf("waiter"), "");
  assert.match(await kubectl(["uncordon", "n2"]), /node\/n2 uncordoned/);
  assert.equal(await eventually("waiter bound", () => nodeOf("waiter")), "n2");
  await kubectl(["uncordon", "n1", "n3"]);
  await kubectl(["delete", "pod", "waiter"]);
});

test("a NoSchedule taint on the only eligible node keeps a pod Pending; removing it schedules the pod", async () => {
  assert.match(await kubectl(["taint", "nodes", "n1", "k=v:NoSchedule"]), /node\/n1 tainted/);
  await kubectl(["apply", "-f", file("pinned.yaml", pod("pinned", { "kubernetes.io/hostname": "n1" }))]);
  await eventually("pinned PodScheduled=False", () => scheduledFalse("pinned"));
  const described = await kubectl(["describe", "pod", "pinned"]);
  assert.match(described, /1 node\(s\) had untolerated taint \{k: v\}/);
  assert.equal(await nodeOf("pinned"), "");
  assert.match(await kubectl(["taint", "nodes", "n1", "k=v:NoSchedule-"]), /node\/n1 untainted/);
  assert.equal(await eventually("pinned bound", () => nodeOf("pinned")), "n1");
  await kubectl(["delete", "pod", "pinned"]);
});
