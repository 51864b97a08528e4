// The controller manager against the real k8ts API server (SQLite), driven by the real kubectl 1.31 rollout
// commands. No nodes run: the test plays the kubelet by marking pods Running and Ready via the status subresource.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Lease } from "../client/leader_election.js";
import { fromKubeconfig } from "../client/kubeconfig.js";
import type { Client } from "../client/rest_client.js";
import { resources } from "../client/resources.js";
import { ControllerManager, LEASE_NAME, LEASE_NAMESPACE } from "../controller/controller_manager.js";
import { startController } from "../controller/types.js";
import { isPodReady, type PodObject } from "../controller/replicaset/pod_utils.js";
import type { DeploymentObject, ReplicaSetObject } from "../controller/deployment/util.js";
import { KUBECTL_BIN, startCluster, type Cluster } from "../e2e/kubectl_harness.js";
import { parseControllerManagerFlags, parseDuration } from "./controller_manager_command.js";

const KUBECTL_131 = KUBECTL_BIN(31);

async function until<T>(fn: () => Promise<T>, what: string, ms = 30_000): Promise<NonNullable<T>> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Marks every pod that is not ready yet Running + Ready, until stopped. */
function fakeKubelet(client: Client): () => Promise<void> {
  let stopped = false;
  const pods = client.resource<PodObject>(resources.pods);
  const loop = (async () => {
    while (!stopped) {
      try {
        for (const p of (await pods.list("default")).items) {
          if (p.metadata?.deletionTimestamp || isPodReady(p)) continue;
          const now = new Date().toISOString().replace(/\.\d+Z$/, "Z");
          await pods
            .patch("default", p.metadata!.name!, "merge", { status: { phase: "Running", conditions: [{ type: "Ready", status: "True", lastTransitionTime: now }] } }, { subresource: "status" })
            .catch(() => undefined);
        }
      } catch {
        // Retried on the next round, as a kubelet would.
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  return async () => {
    stopped = true;
    await loop;
  };
}

interface Env {
  cluster: Cluster;
  client: Client;
  kubectl(...args: string[]): Promise<string>;
}

async function setup(t: { after(fn: () => unknown): void }): Promise<Env> {
  // Only the manager under test may reconcile: the server runs no controllers of its own.
  const cluster = await startCluster({ controllers: false });
  const client = fromKubeconfig(cluster.kubeconfig);
  const manager = new ControllerManager({ client, identity: "test-manager", leaseDurationMs: 4000, renewDeadlineMs: 3000, retryPeriodMs: 500, workers: 2 });
  const running = startController(manager);
  const stopKubelet = fakeKubelet(client);
  t.after(async () => {
    await stopKubelet();
    await running.stop();
    client.close();
    await cluster.stop();
  });
  return { cluster, client, kubectl: (...args) => cluster.ok(args, { bin: KUBECTL_131 }) };
}

test("kubectl create, rollout status, set image, history, undo --to-revision, scale, pause/resume, restart", { timeout: 180_000 }, async (t) => {
  const { client, kubectl } = await setup(t);
  const deploys = client.resource<DeploymentObject>(resources.deployments);
  const rsApi = client.resource<ReplicaSetObject>(resources.replicasets);

  // The manager holds the kube-controller-manager lease.
  const lease = await until(async () => {
    try {
      return await client.resource<Lease>(resources.leases).get(LEASE_NAMESPACE, LEASE_NAME);
    } catch {
      return undefined;
    }
  }, "the leader lease");
  assert.equal(lease.spec?.holderIdentity, "test-manager");

  await kubectl("create", "deployment", "web", "--image=nginx:1.25", "--replicas=3");
  const status1 = await kubectl("rollout", "status", "deployment/web", "--timeout=60s");
  assert.match(status1, /deployment "web" successfully rolled out/);

  await kubectl("set", "image", "deployment/web", "nginx=nginx:1.26");
  const status2 = await kubectl("rollout", "status", "deployment/web", "--timeout=60s");
  assert.match(status2, /successfully rolled out/);
  const pods = (await client.resource<PodObject>(resources.pods).list("default")).items.filter((p) => !p.metadata?.deletionTimestamp);
  assert.equal(pods.length, 3);
  assert.ok(pods.every((p) => p.spec?.containers[0]?.image === "nginx:1.26"));

  const history = await kubectl("rollout", "history", "deployment/web");
  assert.match(history, /REVISION\s+CHANGE-CAUSE/);
  assert.match(history, /^1\s/m);
  assert.match(history, /^2\s/m);

  const rsBefore = (await rsApi.list("default")).items;
  assert.equal(rsBefore.length, 2);
  const rev1 = rsBefore.find((rs) => rs.metadata?.annotations?.["deployment.kubernetes.io/revision"] === "1")!;
  assert.equal(rev1.spec?.template?.spec?.containers[0]?.image, "nginx:1.25");

  const undo = await kubectl("rollout", "undo", "deployment/web", "--to-revision=1");
  assert.match(undo, /rolled back/);
  await kubectl("rollout", "status", "deployment/web", "--timeout=60s");
  const rsAfter = (await rsApi.list("default")).items;
  assert.equal(rsAfter.length, 2, "undo reused the revision-1 ReplicaSet");
  const revived = rsAfter.find((rs) => rs.metadata?.uid === rev1.metadata?.uid)!;
  assert.equal(revived.spec?.replicas, 3);
  assert.equal(revived.metadata?.annotations?.["deployment.kubernetes.io/revision"], "3");
  assert.match(await kubectl("rollout", "history", "deployment/web"), /^3\s/m);

  await kubectl("scale", "deployment/web", "--replicas=5");
  await until(async () => (await deploys.get("default", "web")).status?.availableReplicas === 5, "5 available replicas");
  assert.equal((await rsApi.get("default", revived.metadata!.name!)).spec?.replicas, 5);

  await kubectl("rollout", "pause", "deployment/web");
  await kubectl("set", "image", "deployment/web", "nginx=nginx:1.27");
  await until(async () => {
    const d = await deploys.get("default", "web");
    return d.status?.conditions?.some((c) => c.type === "Progressing" && c.reason === "DeploymentPaused") && (d.status?.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0);
  }, "paused condition");
  assert.equal((await rsApi.list("default")).items.length, 2, "no new ReplicaSet while paused");
  await kubectl("rollout", "resume", "deployment/web");
  await kubectl("rollout", "status", "deployment/web", "--timeout=60s");
  assert.equal((await rsApi.list("default")).items.length, 3);

  await kubectl("rollout", "restart", "deployment/web");
  await kubectl("rollout", "status", "deployment/web", "--timeout=60s");
  const final = (await rsApi.list("default")).items;
  assert.equal(final.length, 4);
  const active = final.filter((rs) => (rs.spec?.replicas ?? 0) > 0);
  assert.equal(active.length, 1);
  assert.ok(active[0]!.spec?.template?.metadata?.annotations?.["kubectl.kubernetes.io/restartedAt"], "restart stamps the template");

  const describe = await kubectl("describe", "deployment", "web");
  assert.match(describe, /ScalingReplicaSet/);
  assert.match(describe, /Scaled up replica set web-\w+ to 3/);
});

test("deleting a Deployment removes its ReplicaSets and pods through the garbage collector", { timeout: 120_000 }, async (t) => {
  const { client, kubectl } = await setup(t);
  await kubectl("create", "deployment", "gone", "--image=busybox", "--replicas=2");
  await kubectl("rollout", "status", "deployment/gone", "--timeout=60s");
  await kubectl("delete", "deployment", "gone");
  await until(async () => (await client.resource(resources.replicasets).list("default")).items.length === 0, "ReplicaSets collected");
  await until(async () => (await client.resource(resources.pods).list("default")).items.length === 0, "pods collected");
});

test("flags: --leader-elect forms, --lease-duration, --controllers, conflicting sources", () => {
  assert.deepEqual(parseControllerManagerFlags([]), { leaderElect: true });
  assert.equal(parseControllerManagerFlags(["--leader-elect=false"]).leaderElect, false);
  assert.equal(parseControllerManagerFlags(["--leader-elect", "false"]).leaderElect, false);
  assert.equal(parseControllerManagerFlags(["--leader-elect"]).leaderElect, true);
  assert.equal(parseControllerManagerFlags(["--lease-duration", "30s"]).leaseDurationMs, 30_000);
  assert.equal(parseControllerManagerFlags(["--local-path-dir", "/srv/volumes"]).localPathDir, "/srv/volumes");
  assert.equal(parseDuration("1m30s"), 90_000);
  assert.deepEqual(parseControllerManagerFlags(["--controllers=deployment,replicaset"]).controllers, ["deployment", "replicaset"]);
  assert.equal(parseControllerManagerFlags(["--server", "http://127.0.0.1:6443"]).server, "http://127.0.0.1:6443");
  assert.throws(() => parseControllerManagerFlags(["--controllers=nope"]), /unknown controller "nope"/);
  assert.throws(() => parseControllerManagerFlags(["--server=x", "--kubeconfig=y"]), /not both/);
  assert.throws(() => parseControllerManagerFlags(["--lease-duration=abc"]), /invalid duration/);
  assert.throws(() => parseControllerManagerFlags(["--bogus"]), /unknown flag/);
});
