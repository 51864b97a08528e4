// Test fixtures for the Job controller: Jobs and pods with sensible defaults, and a harness whose informer stores
// are filled directly (no API server). Pod writes go through a FakeObjectWriter that applies them to the pod store;
// status writes go into the job store, as the API server and the informers would.
import type { Job } from "kubernetes-types/batch/v1.js";
import { FakeClock } from "../../client/clock.js";
import { SharedInformerFactory } from "../../client/informer_factory.js";
import type { SharedInformer } from "../../client/informer.js";
import { createClient } from "../../client/rest_client.js";
import { resources } from "../../client/resources.js";
import { errors } from "../../machinery/errors.js";
import { FakeObjectWriter } from "../history/object_writer.js";
import { FakeRecorder } from "../../client/event_recorder.js";
import type { PodObject } from "../replicaset/pod_utils.js";
import { JobController, type JobClient } from "./job_controller.js";
import type { JobObject } from "./job_pods.js";

export function newJob(name: string, spec: Partial<Job["spec"]> = {}): JobObject {
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name, namespace: "default", uid: `job-uid-${name}`, resourceVersion: "1", generation: 1 },
    spec: { template: { metadata: { labels: { app: name } }, spec: { restartPolicy: "Never", containers: [{ name: "c", image: "busybox" }] } }, ...spec },
    status: {},
  };
}

export class JobHarness {
  readonly clock: FakeClock;
  readonly recorder = new FakeRecorder();
  readonly jobs: SharedInformer<JobObject>;
  readonly pods: SharedInformer<PodObject>;
  readonly podWriter: FakeObjectWriter<PodObject>;
  readonly statusWrites: JobObject[] = [];
  readonly deletedJobs: string[] = [];
  /** When set, status writes fail with this error (a crash or an outage between steps). */
  failStatusWrites?: Error;
  controller: JobController;
  private readonly informers: SharedInformerFactory;
  private readonly jobClient: JobClient;

  constructor(opts: { clock?: FakeClock } = {}) {
    this.clock = opts.clock ?? new FakeClock(Date.UTC(2026, 0, 1));
    const client = createClient({ server: "http://127.0.0.1:9" });
    this.informers = new SharedInformerFactory({ client, clock: this.clock });
    this.jobs = this.informers.forResource<JobObject>(resources.jobs);
    this.pods = this.informers.forResource<PodObject>(resources.pods);
    this.podWriter = new FakeObjectWriter<PodObject>(this.pods.indexer);
    this.jobClient = {
      get: async (ns, name) => {
        const j = this.jobs.indexer.get(`${ns}/${name}`);
        if (!j) throw errors.notFound({ group: "batch", resource: "jobs" }, name);
        return structuredClone(j);
      },
      updateStatus: async (_ns, obj) => {
        if (this.failStatusWrites) throw this.failStatusWrites;
        const cur = this.jobs.indexer.get(`${obj.metadata?.namespace}/${obj.metadata?.name}`);
        if (cur && obj.metadata?.resourceVersion !== cur.metadata?.resourceVersion) throw errors.conflict({ group: "batch", resource: "jobs" }, obj.metadata?.name ?? "", "the object has been modified");
        const stored = structuredClone(obj);
        stored.metadata = { ...stored.metadata, resourceVersion: String(Number(stored.metadata?.resourceVersion ?? "1") + 1) };
        this.statusWrites.push(structuredClone(stored));
        this.jobs.indexer.upsert(structuredClone(stored));
        return stored;
      },
      delete: async (ns, name) => {
        this.deletedJobs.push(name);
        this.jobs.indexer.deleteKey(`${ns}/${name}`);
        return { metadata: { name } } as JobObject;
      },
    };
    this.controller = this.newController();
  }

  /** A fresh controller over the same stores: what a restart of the controller manager looks like. */
  newController(): JobController {
    return new JobController({ client: createClient({ server: "http://127.0.0.1:9" }), informers: this.informers, podWriter: this.podWriter, jobClient: this.jobClient, recorder: this.recorder, clock: this.clock });
  }

  restart(): void {
    this.controller = this.newController();
  }

  addJob(job: JobObject): JobObject {
    this.jobs.indexer.upsert(structuredClone(job));
    return job;
  }

  job(name: string): JobObject {
    return this.jobs.indexer.get(`default/${name}`)!;
  }

  podList(): PodObject[] {
    return this.pods.indexer.list().sort((a, b) => (a.metadata!.name! < b.metadata!.name! ? -1 : 1));
  }

  activePods(): PodObject[] {
    return this.podList().filter((p) => !p.metadata?.deletionTimestamp && p.status?.phase !== "Succeeded" && p.status?.phase !== "Failed");
  }

  /** Plays the kubelet: sets the pod's phase (and containers' exit codes for terminal phases). */
  finish(pod: PodObject, phase: "Succeeded" | "Failed" | "Running", o: { exitCode?: number; ready?: boolean; conditions?: Array<{ type: string; status: string }> } = {}): void {
    const old = this.pods.indexer.get(`default/${pod.metadata!.name}`)!;
    const exitCode = o.exitCode ?? (phase === "Succeeded" ? 0 : 1);
    const cur: PodObject = structuredClone(old);
    Object.assign(cur, { status: {
      phase,
      conditions: [...(o.ready ? [{ type: "Ready", status: "True" }] : []), ...(o.conditions ?? [])],
      containerStatuses: [{ name: "c", image: "busybox", imageID: "", ready: Boolean(o.ready), restartCount: 0, state: phase === "Running" ? { running: {} } : { terminated: { exitCode } } }],
    } });
    cur.metadata = { ...cur.metadata, resourceVersion: String(Number(cur.metadata?.resourceVersion ?? "1") + 1) };
    this.pods.indexer.upsert(cur);
  }

  /** Syncs until nothing changes any more (at most n rounds), satisfying expectations as the informer would. */
  async settle(key: string, rounds = 10): Promise<void> {
    for (let i = 0; i < rounds; i++) {
      const before = JSON.stringify([this.pods.indexer.list(), this.jobs.indexer.get(key)?.status]);
      this.controller.expectations.deleteExpectations(key);
      await this.controller.sync(key);
      const after = JSON.stringify([this.pods.indexer.list(), this.jobs.indexer.get(key)?.status]);
      if (before === after) return;
    }
  }
}
