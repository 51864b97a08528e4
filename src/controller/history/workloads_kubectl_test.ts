// The workload controllers driven by the real kubectl 1.31 against the real k8ts API server: `kubectl wait` on a
// Job, `kubectl create job --from=cronjob`, and `kubectl rollout status|history|undo` on a DaemonSet and a
// StatefulSet. The test process plays the kubelet. Skipped where the kubectl binary is not installed.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SharedInformerFactory } from "../../client/informer_factory.js";
import { createClient, type Client } from "../../client/rest_client.js";
import { resources } from "../../client/resources.js";
import { startServer } from "../../daemons/server.js";
import { isNotFound } from "../../machinery/errors.js";
import { silentLogger } from "../../util/log.js";
import { CronJobController } from "../cronjob/cronjob_controller.js";
import { DaemonSetController } from "../daemonset/daemonset_controller.js";
import { JobController } from "../job/job_controller.js";
import type { JobObject } from "../job/job_pods.js";
import type { PodObject } from "../replicaset/pod_utils.js";
import { StatefulSetController } from "../statefulset/statefulset_controller.js";
import { startController, type RunningController } from "../types.js";

const KUBECTL = "/usr/lib/google-cloud-sdk/bin/kubectl.1.31";
const skip = !existsSync(KUBECTL) ? `${KUBECTL} is not installed` : false;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Confirms graceful deletions; reports Job pods Succeeded and every other pod Running and Ready. */
async function kubeletPass(client: Client): Promise<void> {
  const api = client.resource<PodObject>(resources.pods);
  for (const p of (await api.list("default")).items) {
    const name = p.metadata!.name!;
    try {
      if (p.metadata?.deletionTimestamp) {
        await api.delete("default", name, { gracePeriodSeconds: 0, preconditions: { uid: p.metadata.uid } });
        continue;
      }
      if (p.status?.phase !== "Pending") continue;
      const job = p.metadata?.labels?.["batch.kubernetes.io/job-name"] !== undefined;
      const image = p.spec?.containers[0]?.image ?? "";
      const state = job ? { terminated: { exitCode: 0, reason: "Completed" } } : { running: {} };
      await api.patch(
        "default",
        name,
        "merge",
        {
          status: {
            phase: job ? "Succeeded" : "Running",
            conditions: [{ type: "Ready", status: job ? "False" : "True" }],
            containerStatuses: [{ name: p.spec?.containers[0]?.name ?? "c", image, imageID: "", ready: !job, restartCount: 0, state }],
          },
        },
        { subresource: "status" },
      );
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}

test("kubectl drives Jobs, CronJobs, DaemonSets and StatefulSets", { skip }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "k8ts-workloads-kubectl-"));
  // The controllers under test run here; the server keeps only the garbage collector and namespace controller, and
  // the test plays kubelet and scheduler.
  const server = await startServer({ dataDir: dir, port: 0, logger: silentLogger, scheduler: false, controllerManager: { controllers: ["garbagecollector", "namespace"] } });
  const client = createClient({ server: server.url });
  const running: RunningController[] = [
    startController(new JobController({ client, informers: new SharedInformerFactory({ client }) })),
    startController(new CronJobController({ client, informers: new SharedInformerFactory({ client }) })),
    startController(new DaemonSetController({ client, informers: new SharedInformerFactory({ client }) })),
    startController(new StatefulSetController({ client, informers: new SharedInformerFactory({ client }) })),
  ];
  let stopped = false;
  const kubelet = (async () => {
    while (!stopped) {
      await kubeletPass(client).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  t.after(async () => {
    stopped = true;
    await kubelet;
    for (const r of running) await r.stop();
    client.close();
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  });
  // Async child processes: the server runs in this process, so blocking calls would deadlock it.
  const k = (args: string[], input?: string): Promise<Run> =>
    new Promise((resolve) => {
      const child = execFile(KUBECTL, ["--kubeconfig", server.kubeconfigPath, "--cache-dir", join(dir, "cache"), ...args], { env: { ...process.env, HOME: dir }, timeout: 60_000 }, (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
      if (input !== undefined) child.stdin!.end(input);
    });
  const ok = async (args: string[], input?: string): Promise<string> => {
    const r = await k(args, input);
    assert.equal(r.code, 0, `kubectl ${args.join(" ")} failed: ${r.stderr}`);
    return r.stdout;
  };

  await t.test("kubectl wait --for=condition=complete on a Job", async () => {
    await ok(["create", "job", "pi", "--image=busybox", "--", "echo", "3.14"]);
    assert.match(await ok(["wait", "--for=condition=complete", "job/pi", "--timeout=30s"]), /job.batch\/pi condition met/);
    assert.match(await ok(["get", "job", "pi", "-o", "jsonpath={.status.succeeded}"]), /^1$/);
  });

  await t.test("kubectl create job --from=cronjob/x", async () => {
    await ok(["create", "cronjob", "tick", "--image=busybox", "--schedule=0 0 1 1 *", "--", "date"]);
    await ok(["create", "job", "tick-now", "--from=cronjob/tick"]);
    const job = await client.resource<JobObject>(resources.jobs).get("default", "tick-now");
    assert.equal(job.metadata?.annotations?.["cronjob.kubernetes.io/instantiate"], "manual");
    assert.equal(job.metadata?.ownerReferences?.[0]?.kind, "CronJob");
    await ok(["wait", "--for=condition=complete", "job/tick-now", "--timeout=30s"]);
  });

  await t.test("kubectl rollout status, history and undo on a DaemonSet", async () => {
    for (const n of ["n1", "n2"]) await client.resource(resources.nodes).create(undefined, { metadata: { name: n } });
    const ds = `apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: default}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec: {containers: [{name: c, image: "agent:1"}]}
`;
    await ok(["apply", "-f", "-"], ds);
    assert.match(await ok(["rollout", "status", "daemonset/agent", "--timeout=30s"]), /successfully rolled out/);
    await ok(["set", "image", "daemonset/agent", "c=agent:2"]);
    assert.match(await ok(["rollout", "status", "daemonset/agent", "--timeout=30s"]), /successfully rolled out/);
    assert.match(await ok(["rollout", "history", "daemonset/agent"]), /REVISION\s+CHANGE-CAUSE\s+1\s+<none>\s+2\s+<none>/);
    await ok(["rollout", "undo", "daemonset/agent"]);
    assert.match(await ok(["rollout", "status", "daemonset/agent", "--timeout=30s"]), /successfully rolled out/);
    assert.equal(await ok(["get", "daemonset", "agent", "-o", "jsonpath={.spec.template.spec.containers[0].image}"]), "agent:1");
    assert.match(await ok(["rollout", "history", "daemonset/agent"]), /\s2\s+<none>\s+3\s+<none>/);
    const images = (await client.resource<PodObject>(resources.pods).list("default", { labelSelector: "app=agent" })).items.filter((p) => !p.metadata?.deletionTimestamp).map((p) => p.spec?.containers[0]?.image);
    assert.deepEqual(images, ["agent:1", "agent:1"]);
  });

  await t.test("kubectl rollout status, history and undo on a StatefulSet", async () => {
    const sts = `apiVersion: apps/v1
kind: StatefulSet
metadata: {name: web, namespace: default}
spec:
  replicas: 2
  serviceName: web
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: c, image: "web:1"}]}
`;
    await ok(["apply", "-f", "-"], sts);
    assert.match(await ok(["rollout", "status", "statefulset/web", "--timeout=30s"]), /partitioned roll out complete|roll out complete/);
    await ok(["set", "image", "statefulset/web", "c=web:2"]);
    assert.match(await ok(["rollout", "status", "statefulset/web", "--timeout=30s"]), /roll out complete/);
    assert.match(await ok(["rollout", "history", "statefulset/web"]), /1\s+<none>\s+2\s+<none>/);
    await ok(["rollout", "undo", "statefulset/web"]);
    assert.match(await ok(["rollout", "status", "statefulset/web", "--timeout=30s"]), /roll out complete/);
    assert.equal(await ok(["get", "pod", "web-0", "-o", "jsonpath={.spec.containers[0].image}"]), "web:1");
  });
});
