// Issue 8 on a real 3-node containerd cluster, driven with the real kubectl: a DaemonSet following nodes that join
// and leave, an Indexed Job, a CronJob firing every minute with concurrencyPolicy Forbid, and a StatefulSet with a
// headless Service and volumeClaimTemplates (ordered start, DNS names, a deleted pod back with its name, DNS name and
// data). One cluster serves every part; the CronJob (about 2.5 minutes of real time) starts first and runs beside the
// others. Needs root, containerd, runc, the CNI plugins and the image tools; skipped with the reason otherwise.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { CronJob, Job } from "kubernetes-types/batch/v1.js";
import type { DaemonSet, StatefulSet } from "kubernetes-types/apps/v1.js";
import type { KubeObject } from "../api/object.js";
import { resources } from "../client/resources.js";
import { IMAGE_TAGS } from "../kubelet/images/base_images.js";
import { busyboxPod, containerdSkipReason, log, startTestCluster, until, type PodObject, type TestCluster } from "./e2e_support.js";

const skip = containerdSkipReason();
const BUSYBOX = IMAGE_TAGS.busybox;
type JobObject = Job & KubeObject;
type CronJobObject = CronJob & KubeObject;

const container = (command: string): Record<string, unknown> => ({ name: "c", image: BUSYBOX, imagePullPolicy: "IfNotPresent", command: ["sh", "-c", command] });

/** `kubectl get pods -o wide` of the pods with a label: name -> node (the NODE column, as a user reads it). */
async function podsByNode(c: TestCluster, selector: string): Promise<Map<string, string>> {
  const out = await c.ok(["get", "pods", "-o", "wide", "-l", selector, "--no-headers"]);
  const m = new Map<string, string>();
  for (const line of out.split("\n").filter((l) => l.trim())) {
    const cols = line.trim().split(/\s+/);
    // NAME READY STATUS RESTARTS AGE IP NODE ... (RESTARTS may read "1 (5s ago)", so NODE is found from the end)
    m.set(cols[0]!, cols[cols.length - 3]!);
  }
  return m;
}

/** The CronJob run: what was observed while it fired every minute with Forbid. */
interface CronRun {
  jobs: JobObject[];
  samples: { at: number; active: string[]; lastScheduleTime?: string }[];
  status: CronJobObject["status"];
  events: string;
}

const CRON = "every-minute";
/** Scheduled time of a CronJob's Job from its name (<cronjob>-<minutes since the epoch>). */
const scheduledMs = (j: JobObject): number => Number(j.metadata!.name!.slice(CRON.length + 1)) * 60_000;

/**
 * Creates a CronJob `*\/1 * * * *`, Forbid, whose Job runs 70 s: the firing one minute after the first finds it
 * still active and is skipped; by the time the Job ends that firing is past startingDeadlineSeconds (8 s, below the
 * 10 s overrun a 70 s run always has), so it is not started late; the firing after it runs. Resolves when the
 * second Job exists.
 */
async function runCronJob(c: TestCluster): Promise<CronRun> {
  const cj = {
    apiVersion: "batch/v1",
    kind: "CronJob",
    metadata: { name: CRON },
    spec: {
      schedule: "*/1 * * * *",
      concurrencyPolicy: "Forbid",
      startingDeadlineSeconds: 8,
      jobTemplate: {
        spec: {
          backoffLimit: 0,
          template: {
            spec: {
              restartPolicy: "Never",
              terminationGracePeriodSeconds: 1,
              // Only the cluster's own three nodes: the DaemonSet part adds a node and removes it again meanwhile, and
              // a run placed there would fail with it (pod GC), ending the 70 s run this part depends on.
              affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: "kubernetes.io/hostname", operator: "In", values: ["node-0", "node-1", "node-2"] }] }] } } },
              containers: [container("echo run; sleep 70")],
            },
          },
        },
      },
    },
  };
  await c.ok(["apply", "-f", "-"], { input: JSON.stringify(cj) });
  log("cronjob: created");
  const jobs = c.client.resource<JobObject>(resources.jobs);
  const cronjobs = c.client.resource<CronJobObject>(resources.cronjobs);
  const ownJobs = async (): Promise<JobObject[]> =>
    (await jobs.list("default")).items.filter((j) => j.metadata?.ownerReferences?.some((o) => o.kind === "CronJob" && o.name === CRON)).sort((a, b) => scheduledMs(a) - scheduledMs(b));
  const samples: CronRun["samples"] = [];
  let last = "";
  // Up to a minute to the first firing, then two more minutes to the one after the skipped firing.
  await until(
    "the CronJob's second Job",
    async () => {
      const s = (await cronjobs.get("default", CRON)).status;
      const sample = { at: Date.now(), active: (s?.active ?? []).map((r) => r.name!), lastScheduleTime: s?.lastScheduleTime };
      samples.push(sample);
      const line = `active=[${sample.active.join(",")}] lastScheduleTime=${sample.lastScheduleTime ?? "-"}`;
      if (line !== last) log(`cronjob: ${line}`);
      last = line;
      const list = await ownJobs();
      return list.length >= 2 ? true : undefined;
    },
    300_000,
  );
  const events = await c.ok(["get", "events", "--field-selector", `involvedObject.name=${CRON}`, "-o", "custom-columns=REASON:.reason,MESSAGE:.message", "--no-headers"]);
  const owned = await ownJobs();
  const newest = owned[owned.length - 1]!.metadata!.name!;
  // The controller writes the CronJob's status (status.active and lastScheduleTime in one update) only after it
  // created the Job: the status checked is the first that lists the newest Job.
  const status = await until("the CronJob's status to list its newest Job", async () => {
    const s = (await cronjobs.get("default", CRON)).status;
    return s?.active?.some((r) => r.name === newest) ? s : undefined;
  });
  return { jobs: owned, samples, status, events };
}

test("workloads on a real 3-node cluster: DaemonSet following nodes, Indexed Job, CronJob with Forbid, StatefulSet with storage and DNS", { skip, timeout: 900_000 }, async (t) => {
  const c = await startTestCluster(t, { prefix: "wl", nodes: 3, timeoutMs: 420_000 });
  const pods = c.client.resource<PodObject>(resources.pods);
  // Started first: it runs in real time beside the other parts. Its outcome is checked by the last subtest.
  const cron = runCronJob(c).then(
    (run) => ({ run }),
    (err: unknown) => ({ err }),
  );

  await t.test("DaemonSet: a pod per node, a joining node gets one, a leaving node's goes, deleting the set deletes them", async () => {
    try {
      await daemonSetPart(c);
    } finally {
      // After a failure, leave the cluster as the other parts expect it: its three nodes, no DaemonSet.
      for (const n of c.clusters.store.read(c.name)?.nodes ?? []) if (!["node-0", "node-1", "node-2"].includes(n.name)) await c.clusters.removeNode(c.name, n.name);
      await c.kubectl(["delete", "daemonset", "agent", "--ignore-not-found"]);
    }
  });

  await t.test("Indexed Job: completions 3, parallelism 2, each pod sees JOB_COMPLETION_INDEX; kubectl wait --for=condition=complete", async () => {
    const job = {
      apiVersion: "batch/v1",
      kind: "Job",
      metadata: { name: "indexed" },
      spec: {
        completions: 3,
        parallelism: 2,
        completionMode: "Indexed",
        template: { spec: { restartPolicy: "Never", terminationGracePeriodSeconds: 1, containers: [container('echo "index=$JOB_COMPLETION_INDEX host=$(hostname)"; sleep 3')] } },
      },
    };
    await c.ok(["apply", "-f", "-"], { input: JSON.stringify(job) });
    const jobs = c.client.resource<JobObject>(resources.jobs);
    // Sample the Job's active count while it runs: parallelism 2 caps it.
    let maxActive = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const s = (await jobs.get("default", "indexed")).status;
        maxActive = Math.max(maxActive, s?.active ?? 0);
        await new Promise((r) => setTimeout(r, 300));
      }
    })();
    const started = Date.now();
    const waited = await c.kubectl(["wait", "--for=condition=complete", "job/indexed", "--timeout=240s"], { timeoutMs: 250_000 });
    sampling = false;
    await sampler;
    assert.equal(waited.code, 0, `kubectl wait: ${waited.stdout}${waited.stderr}`);
    assert.match(waited.stdout, /job.batch\/indexed condition met/);
    log(`job: complete in ${Date.now() - started} ms, at most ${maxActive} active at once (sampled)`);
    assert.ok(maxActive >= 1 && maxActive <= 2, `active never above parallelism: ${maxActive}`);
    const s = (await jobs.get("default", "indexed")).status!;
    assert.equal(s.succeeded, 3);
    assert.equal(s.completedIndexes, "0-2");
    const logs = await c.ok(["logs", "-l", "batch.kubernetes.io/job-name=indexed", "--prefix", "--tail=-1"]);
    log(`job: logs\n${logs.trimEnd()}`);
    const seen = [...logs.matchAll(/index=(\d+) host=(\S+)/g)].map((m) => ({ index: m[1]!, host: m[2]! }));
    assert.deepEqual(seen.map((x) => x.index).sort(), ["0", "1", "2"]);
    for (const x of seen) assert.equal(x.host, `indexed-${x.index}`, "hostname <job>-<index>");
    // The pods carry their index as a label, and each pod's log holds its own index.
    const jobPods = (await pods.list("default", { labelSelector: "batch.kubernetes.io/job-name=indexed" })).items;
    assert.equal(jobPods.length, 3);
    for (const p of jobPods) {
      const idx = p.metadata!.labels!["batch.kubernetes.io/job-completion-index"]!;
      assert.match(await c.ok(["logs", p.metadata!.name!]), new RegExp(`^index=${idx} `));
    }
  });

  const sc = await c.kubectl(["get", "storageclass", "local-path", "-o", "name"]);
  const stsSkip = sc.code === 0 ? false : "no StorageClass local-path in the cluster (the local-path provisioner is not there yet)";
  await t.test("StatefulSet: ordered start, <set>-i.<svc> DNS names, a deleted pod back with its name, DNS name and data", { skip: stsSkip }, async () => {
    await statefulSetPart(c);
  });

  await t.test("CronJob */1 with Forbid: the firing during a 70 s run is skipped, the next one runs", async () => {
    const outcome = await cron;
    if ("err" in outcome) throw outcome.err;
    const { jobs, samples, status, events } = outcome.run;
    const [first, second] = jobs as [JobObject, JobObject];
    const s1 = scheduledMs(first);
    log(`cronjob: jobs ${jobs.map((j) => `${j.metadata!.name} (${new Date(scheduledMs(j)).toISOString()})`).join(", ")}`);
    log(`cronjob: status ${JSON.stringify(status)}`);
    log(`cronjob: events\n${events.trimEnd()}`);
    // No run for the firing one minute after the first: it was skipped, not started late.
    assert.ok(!jobs.some((j) => scheduledMs(j) === s1 + 60_000), "no Job for the skipped firing");
    assert.ok(scheduledMs(second) >= s1 + 120_000, `the next run is a later firing: ${second.metadata!.name}`);
    // At the skipped firing the first run was still active, and lastScheduleTime stayed at the first run.
    const during = samples.filter((x) => x.at >= s1 + 62_000 && x.at < scheduledMs(second));
    assert.ok(during.length > 0, "sampled between the skipped firing and the next run");
    const firstActive = during.filter((x) => x.active.includes(first.metadata!.name!));
    assert.ok(firstActive.length > 0, "the first run was active after the skipped firing");
    for (const x of firstActive) assert.equal(Date.parse(x.lastScheduleTime!), s1, "lastScheduleTime unchanged by the skipped firing");
    // Forbid: the second run started only after the first finished.
    const firstDone = await c.client.resource<JobObject>(resources.jobs).get("default", first.metadata!.name!);
    const completed = Date.parse(firstDone.status?.completionTime ?? "");
    assert.ok(Number.isFinite(completed), "the first run completed");
    assert.ok(Date.parse(second.metadata!.creationTimestamp!) >= completed, "the second run was created after the first completed");
    assert.equal(Date.parse(status!.lastScheduleTime!), scheduledMs(second));
    assert.ok(Date.parse(status!.lastSuccessfulTime ?? "") >= completed, "lastSuccessfulTime from the first run");
    // The skip is reported; the controller never mistakes its own runs for someone else's.
    assert.match(events, /JobAlreadyActive/);
    assert.doesNotMatch(events, /UnexpectedJob/);
    await c.ok(["delete", "cronjob", CRON]);
  });
});

/** Part (a): a DaemonSet following nodes that join and leave, deleted with its pods. */
async function daemonSetPart(c: TestCluster): Promise<void> {
  const pods = c.client.resource<PodObject>(resources.pods);
  const ds = {
    apiVersion: "apps/v1",
    kind: "DaemonSet",
    metadata: { name: "agent" },
    spec: {
      selector: { matchLabels: { app: "agent" } },
      template: { metadata: { labels: { app: "agent" } }, spec: { terminationGracePeriodSeconds: 1, containers: [container("sleep 3600")] } },
    },
  };
  await c.ok(["apply", "-f", "-"], { input: JSON.stringify(ds) });
  const daemonsets = c.client.resource<DaemonSet & KubeObject>(resources.daemonsets);
  const running = async (n: number): Promise<Map<string, string> | undefined> => {
    const s = (await daemonsets.get("default", "agent")).status;
    if (s?.numberAvailable !== n || s.desiredNumberScheduled !== n) return undefined;
    const byNode = await podsByNode(c, "app=agent");
    return byNode.size === n ? byNode : undefined;
  };
  let byNode = await until("the DaemonSet Available on 3 nodes", () => running(3));
  log(`daemonset: ${[...byNode].map(([p, n]) => `${p}@${n}`).join(" ")}`);
  assert.deepEqual([...byNode.values()].sort(), ["node-0", "node-1", "node-2"]);

  const added = await c.clusters.addNode(c.name);
  log(`daemonset: ${added.name} joined`);
  byNode = await until(`a daemon pod Available on ${added.name}`, () => running(4));
  assert.deepEqual([...byNode.values()].sort(), ["node-0", "node-1", "node-2", added.name].sort());
  const onNew = [...byNode].find(([, n]) => n === added.name)![0];
  const phase = (await pods.get("default", onNew)).status?.phase;
  assert.equal(phase, "Running", `${onNew} on ${added.name}`);

  await c.clusters.removeNode(c.name, added.name);
  log(`daemonset: ${added.name} removed`);
  byNode = await until(`the pod of ${added.name} gone`, async () => {
    const m = await podsByNode(c, "app=agent");
    return [...m.values()].includes(added.name) ? undefined : m;
  });
  assert.deepEqual([...byNode.values()].sort(), ["node-0", "node-1", "node-2"]);
  assert.ok(!byNode.has(onNew), `${onNew} was deleted`);
  const status = await until("the DaemonSet status back to 3", async () => {
    const s = (await daemonsets.get("default", "agent")).status;
    return s?.desiredNumberScheduled === 3 && s.numberAvailable === 3 ? s : undefined;
  });
  log(`daemonset: status ${JSON.stringify(status)}`);

  await c.ok(["delete", "daemonset", "agent"]);
  await until("the daemon pods deleted with their DaemonSet", async () => ((await podsByNode(c, "app=agent")).size === 0 ? true : undefined));
  assert.equal((await c.ok(["get", "pods", "-l", "app=agent", "-o", "name"])).trim(), "");
  log("daemonset: deleted with its pods");
}

/** Part (d): a StatefulSet of 3 with a headless Service and a volumeClaimTemplate on local-path volumes. */
async function statefulSetPart(c: TestCluster): Promise<void> {
  const pods = c.client.resource<PodObject>(resources.pods);
  const svc = { apiVersion: "v1", kind: "Service", metadata: { name: "db" }, spec: { clusterIP: "None", selector: { app: "db" }, ports: [{ name: "web", port: 8080 }] } };
  const sts = {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: { name: "db" },
    spec: {
      serviceName: "db",
      replicas: 3,
      selector: { matchLabels: { app: "db" } },
      template: {
        metadata: { labels: { app: "db" } },
        spec: {
          terminationGracePeriodSeconds: 1,
          containers: [
            {
              // The first start writes an id to the volume; every start prints what the volume holds.
              ...container('[ -s /data/id ] || echo "$(hostname)-$(date +%s)-$RANDOM" > /data/id; echo "id=$(cat /data/id)"; exec sleep 3600'),
              readinessProbe: { exec: { command: ["test", "-s", "/data/id"] }, periodSeconds: 1 },
              volumeMounts: [{ name: "data", mountPath: "/data" }],
            },
          ],
        },
      },
      volumeClaimTemplates: [{ metadata: { name: "data" }, spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "16Mi" } } } }],
    },
  };
  await c.ok(["apply", "-f", "-"], { input: [svc, sts].map((o) => JSON.stringify(o)).join("\n") });
  const sets = c.client.resource<StatefulSet & KubeObject>(resources.statefulsets);
  await until(
    "the StatefulSet's 3 pods Ready",
    async () => {
      const s = (await sets.get("default", "db")).status;
      return s?.readyReplicas === 3 ? true : undefined;
    },
    240_000,
  );
  // Strict order: pod i was created no earlier than pod i-1 became Ready (both from the API, 1 s resolution).
  const ready = async (): Promise<PodObject[]> => Promise.all([0, 1, 2].map((i) => pods.get("default", `db-${i}`)));
  const list = await ready();
  const readyAt = (p: PodObject): number => Date.parse(p.status!.conditions!.find((x) => x.type === "Ready" && x.status === "True")!.lastTransitionTime!);
  for (const p of list) log(`statefulset: ${p.metadata!.name} created ${p.metadata!.creationTimestamp} Ready ${new Date(readyAt(p)).toISOString()} on ${p.spec!.nodeName} ip ${p.status!.podIP}`);
  for (let i = 1; i < 3; i++) {
    assert.ok(Date.parse(list[i]!.metadata!.creationTimestamp!) >= readyAt(list[i - 1]!), `db-${i} created no earlier than db-${i - 1} became Ready`);
  }
  const pvcs = await c.ok(["get", "pvc", "-o", "custom-columns=NAME:.metadata.name,STATUS:.status.phase,SC:.spec.storageClassName", "--no-headers"]);
  log(`statefulset: pvcs\n${pvcs.trimEnd()}`);
  for (let i = 0; i < 3; i++) assert.match(pvcs, new RegExp(`data-db-${i}\\s+Bound\\s+local-path`));

  // Each pod's stable DNS name resolves to its IP, from a busybox pod.
  const fqdn = (i: number): string => `db-${i}.db.default.svc.cluster.local`;
  const lookups = list.map((p, i) => `nslookup ${fqdn(i)} | grep -q 'Address.*${p.status!.podIP!.replace(/\./g, "\\.")}'`).join(" && ");
  assert.equal(await c.check(busyboxPod("dns-before", lookups, { restart: "Never" })), "Succeeded", "each <set>-i.<svc> resolves to its pod");

  // db-1 deleted: it comes back under the same name, with its DNS name pointing at it and the data it wrote.
  const before = list[1]!;
  const idOf = async (): Promise<string> => /^id=(\S+)$/m.exec(await c.ok(["logs", "db-1"]))?.[1] ?? "";
  const written = await idOf();
  assert.match(written, /^db-1-\d+-\d+$/);
  await c.ok(["delete", "pod", "db-1", "--wait=true"]);
  const back = await until("db-1 back and Ready", async () => {
    const p = await pods.get("default", "db-1").catch(() => undefined);
    const isReady = p?.status?.conditions?.some((x) => x.type === "Ready" && x.status === "True");
    return p && p.metadata!.uid !== before.metadata!.uid && isReady && p.status?.podIP ? p : undefined;
  }, 180_000);
  log(`statefulset: db-1 back on ${back.spec!.nodeName} ip ${back.status!.podIP} (was ${before.spec!.nodeName} ${before.status!.podIP})`);
  assert.equal(back.spec!.hostname, "db-1");
  assert.equal(back.spec!.subdomain, "db");
  // The new container found the id the old one wrote (it prints the volume's content at start).
  const after = await until("db-1's log", async () => (await idOf()) || undefined, 60_000);
  log(`statefulset: db-1 volume id before ${written}, after ${after}`);
  assert.equal(after, written, "the data db-1 wrote is still there");
  const ip = back.status!.podIP!.replace(/\./g, "\\.");
  let phase = "";
  // The DNS record follows the new pod once its endpoints update: a failed first try is retried with a new pod.
  for (let i = 0; i < 5 && phase !== "Succeeded"; i++) phase = await c.check(busyboxPod(`dns-after-${i}`, `nslookup ${fqdn(1)} | grep -q 'Address.*${ip}'`, { restart: "Never" }));
  assert.equal(phase, "Succeeded", `${fqdn(1)} resolves to the new pod`);
  await c.ok(["delete", "statefulset", "db"]);
}
