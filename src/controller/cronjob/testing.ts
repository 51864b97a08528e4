// Test fixtures for the CronJob controller: CronJobs and Jobs, and a harness whose informer stores are filled
// directly; Job writes land in the job store and status writes in the CronJob store, as the API server would.
import type { CronJob } from "kubernetes-types/batch/v1.js";
import { FakeClock } from "../../client/clock.js";
import { SharedInformerFactory } from "../../client/informer_factory.js";
import type { SharedInformer } from "../../client/informer.js";
import { createClient } from "../../client/rest_client.js";
import { resources } from "../../client/resources.js";
import { errors } from "../../machinery/errors.js";
import { FakeObjectWriter } from "../history/object_writer.js";
import { FakeRecorder } from "../../client/event_recorder.js";
import { rfc3339 } from "../replicaset/pod_utils.js";
import { CronJobController, type CronJobObject, type JobObject } from "./cronjob_controller.js";

export const T0 = Date.UTC(2026, 0, 1);

export function newCronJob(name: string, spec: Partial<CronJob["spec"]> = {}, created = T0): CronJobObject {
  return {
    apiVersion: "batch/v1",
    kind: "CronJob",
    metadata: { name, namespace: "default", uid: `cj-uid-${name}`, resourceVersion: "1", creationTimestamp: rfc3339(created) },
    spec: {
      schedule: "*/5 * * * *",
      jobTemplate: { metadata: { labels: { app: name } }, spec: { template: { spec: { restartPolicy: "Never", containers: [{ name: "c", image: "busybox" }] } } } },
      ...spec,
    },
    status: {},
  };
}

export class CronJobHarness {
  readonly clock = new FakeClock(T0);
  readonly recorder = new FakeRecorder();
  readonly cronJobs: SharedInformer<CronJobObject>;
  readonly jobs: SharedInformer<JobObject>;
  readonly jobWriter: FakeObjectWriter<JobObject>;
  readonly controller: CronJobController;
  /** What a live GET of a CronJob answers when the cache is made to lag behind it (default: the cache). */
  readonly live = new Map<string, CronJobObject>();

  constructor() {
    const client = createClient({ server: "http://127.0.0.1:9" });
    const informers = new SharedInformerFactory({ client, clock: this.clock });
    this.cronJobs = informers.forResource<CronJobObject>(resources.cronjobs);
    this.jobs = informers.forResource<JobObject>(resources.jobs);
    this.jobWriter = new FakeObjectWriter<JobObject>(this.jobs.indexer);
    this.controller = new CronJobController({
      client,
      informers,
      jobWriter: this.jobWriter,
      recorder: this.recorder,
      clock: this.clock,
      jobReader: {
        get: async (ns, name) => {
          const j = this.jobs.indexer.get(`${ns}/${name}`);
          if (!j) throw errors.notFound({ group: "batch", resource: "jobs" }, name);
          return structuredClone(j);
        },
      },
      cronJobClient: {
        get: async (ns, name) => structuredClone(this.live.get(`${ns}/${name}`) ?? this.cronJobs.indexer.get(`${ns}/${name}`)!),
        updateStatus: async (_ns, obj) => {
          const stored = structuredClone(obj);
          stored.metadata = { ...stored.metadata, resourceVersion: String(Number(stored.metadata?.resourceVersion ?? "1") + 1) };
          this.cronJobs.indexer.upsert(structuredClone(stored));
          return stored;
        },
      },
    });
  }

  add(cj: CronJobObject): void {
    this.cronJobs.indexer.upsert(structuredClone(cj));
  }

  cj(name: string): CronJobObject {
    return this.cronJobs.indexer.get(`default/${name}`)!;
  }

  jobNames(): string[] {
    return this.jobs.indexer.list().map((j) => j.metadata!.name!).sort();
  }

  /** Plays the Job controller: marks a Job Complete or Failed at the current time. */
  finishJob(name: string, type: "Complete" | "Failed"): void {
    const j = structuredClone(this.jobs.indexer.get(`default/${name}`)!);
    const now = rfc3339(this.clock.now());
    Object.assign(j, {
      status: { ...j.status, startTime: j.status?.startTime ?? now, completionTime: type === "Complete" ? now : undefined, conditions: [{ type, status: "True", lastTransitionTime: now }] },
    });
    j.metadata = { ...j.metadata, resourceVersion: String(Number(j.metadata?.resourceVersion ?? "1") + 1) };
    this.jobs.indexer.upsert(j);
  }

  /** Advances the clock to each requeue the controller asks for, syncing there, until `untilMs`. */
  async runUntil(key: string, untilMs: number): Promise<void> {
    for (;;) {
      const res = await this.controller.sync(key);
      const wait = res?.requeueAfterMs;
      if (wait === undefined || this.clock.now() + wait > untilMs) {
        this.clock.advance(Math.max(0, untilMs - this.clock.now()));
        await this.controller.sync(key);
        return;
      }
      this.clock.advance(wait);
    }
  }
}
