// Static pods: pod manifests in a directory on the node (YAML or JSON, one or more documents per file), run by the
// agent without the API server, as the kubelet's --pod-manifest-path does. Each pod is named <name>-<node>, gets a
// uid derived from its content (kubernetes.io/config.hash), and is re-read when the directory changes: a changed
// manifest is a new pod (the old one stops), a removed one stops.
//
// The API server shows each static pod through a mirror pod (annotation kubernetes.io/config.mirror, owned by the
// Node): the agent creates it, writes the static pod's status into it (pod status is written by name), deletes it
// when the manifest goes, and recreates it when someone deletes it, without touching the running pod.
import { createHash } from "node:crypto";
import { watch, type FSWatcher } from "node:fs";
import { readFile, readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import type { Pod } from "kubernetes-types/core/v1.js";
import { defaultPodSpec } from "../api/defaults/pod_spec.js";
import { validatePodSpec } from "../api/validation/pod_spec.js";
import { realClock, type Clock } from "../client/clock.js";
import type { Client } from "../client/rest_client.js";
import { resources } from "../client/resources.js";
import { fieldErrorMessage, isAlreadyExists, isConflict, isNotFound } from "../machinery/errors.js";
import type { Logger } from "../util/log.js";
import { silentLogger } from "../util/log.js";
import { InformerPodSource } from "./pod_source.js";
import type { NodeObject, PodEventHandler, PodObject, PodSource } from "./types.js";

export const CONFIG_MIRROR_ANNOTATION = "kubernetes.io/config.mirror";
export const CONFIG_SOURCE_ANNOTATION = "kubernetes.io/config.source";
export const CONFIG_HASH_ANNOTATION = "kubernetes.io/config.hash";
export const CONFIG_SEEN_ANNOTATION = "kubernetes.io/config.seen";

/** How often the directory is read even without a change notice (the kubelet's fileCheckFrequency is 20 s). */
const DEFAULT_RESCAN_MS = 20_000;
/** How often mirror pods are checked against the static pods even without a change. */
const MIRROR_RESYNC_MS = 10_000;

export function isMirrorPod(pod: Pod): boolean {
  return pod.metadata?.annotations?.[CONFIG_MIRROR_ANNOTATION] !== undefined;
}

/** A static pod as read from a manifest file. */
export interface StaticPod {
  file: string;
  pod: PodObject;
}

export interface ManifestRead {
  pods: StaticPod[];
  /** One line per skipped document or file: why. */
  errors: string[];
}

/** Stable JSON (sorted keys) so the hash depends on content, not key order. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v && typeof v === "object")
    return `{${Object.keys(v as object)
      .sort()
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  return JSON.stringify(v);
}

/**
 * The static pod of one manifest document, or a reason it is refused. The pod is defaulted as the API server would
 * default it, bound to the node, and named and identified as the kubelet does: name <name>-<node>, uid = the hash
 * of its content, annotations config.hash and config.source=file.
 */
export function staticPodFromManifest(doc: unknown, nodeName: string): PodObject | string {
  if (!doc || typeof doc !== "object" || Array.isArray(doc)) return "not an object";
  const raw = structuredClone(doc) as PodObject;
  if ((raw.kind ?? "Pod") !== "Pod") return `kind ${JSON.stringify(raw.kind)} is not Pod`;
  if ((raw.apiVersion ?? "v1") !== "v1") return `apiVersion ${JSON.stringify(raw.apiVersion)} is not v1`;
  const name = raw.metadata?.name;
  if (!name) return "metadata.name is required";
  if (!raw.spec) return "spec is required";
  const fullName = `${name}-${nodeName}`;
  if (fullName.length > 253 || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(fullName)) return `pod name ${JSON.stringify(fullName)} is not a valid DNS subdomain`;
  const { uid: _uid, resourceVersion: _rv, creationTimestamp: _ct, deletionTimestamp: _dt, generation: _g, managedFields: _mf, ownerReferences: _or, ...meta } = raw.metadata ?? {};
  const metadata = { ...meta, name: fullName, namespace: raw.metadata?.namespace || "default" };
  const spec = { ...raw.spec, nodeName };
  defaultPodSpec(spec);
  const errs = validatePodSpec(spec, "spec");
  if (errs.length > 0) return errs.map(fieldErrorMessage).join("; ");
  const hash = createHash("sha256").update(canonical({ metadata, spec })).digest("hex").slice(0, 32);
  const annotations = { ...(metadata.annotations ?? {}), [CONFIG_HASH_ANNOTATION]: hash, [CONFIG_SOURCE_ANNOTATION]: "file" };
  const pod: Pod = { apiVersion: "v1", kind: "Pod", metadata: { ...metadata, uid: hash, annotations }, spec, status: { phase: "Pending" } };
  return pod as PodObject;
}

/** Reads every manifest file of dir (hidden files skipped, as the kubelet does); a missing dir has no pods. */
export async function readManifestDir(dir: string, nodeName: string): Promise<ManifestRead> {
  const out: ManifestRead = { pods: [], errors: [] };
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => !n.startsWith(".")).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return out;
    throw err;
  }
  const seen = new Map<string, string>();
  for (const n of names) {
    const file = join(dir, n);
    let text: string;
    try {
      if (!(await stat(file)).isFile()) continue;
      text = await readFile(file, "utf8");
    } catch (err) {
      out.errors.push(`${file}: ${(err as Error).message}`);
      continue;
    }
    const docs = parseAllDocuments(text);
    const list = Array.isArray(docs) ? docs : [docs];
    list.forEach((d, i) => {
      const where = list.length > 1 ? `${file} (document ${i + 1})` : file;
      if (d.errors.length > 0) return void out.errors.push(`${where}: ${d.errors[0]!.message}`);
      const value: unknown = d.toJS();
      if (value === null || value === undefined) return;
      const pod = staticPodFromManifest(value, nodeName);
      if (typeof pod === "string") return void out.errors.push(`${where}: ${pod}`);
      const key = `${pod.metadata!.namespace}/${pod.metadata!.name}`;
      const first = seen.get(key);
      if (first) return void out.errors.push(`${where}: pod ${key} is already defined in ${first}`);
      seen.set(key, where);
      out.pods.push({ file, pod });
    });
  }
  return out;
}

export interface StaticPodSourceOptions {
  client: Client;
  nodeName: string;
  /** The manifest directory (created pods appear when files are added to it). */
  dir: string;
  clock?: Clock;
  log?: Logger;
  /** Directory re-read period without change notices (default 20 s). */
  rescanMs?: number;
  /** A mirror pod was (re)created for the static pod with this uid: its status must be written again. */
  onMirrorCreated?: (uid: string) => void;
}

const keyOf = (pod: Pod): string => `${pod.metadata?.namespace}/${pod.metadata?.name}`;

/**
 * The node's pods: those bound to it in the API (one informer, mirror pods left out) plus the static pods of the
 * manifest directory. It also keeps the mirror pods in step; run() does both until the signal aborts.
 */
export class StaticPodSource implements PodSource {
  readonly api: InformerPodSource;
  /** Static pods by uid. */
  private readonly statics = new Map<string, PodObject>();
  private readonly handlers = new Set<PodEventHandler>();
  private readonly log: Logger;
  private readonly clock: Clock;
  private scanned = false;
  private readonly scannedWaiters: (() => void)[] = [];
  private lastErrors = "";
  /** When each content hash was first seen (config.seen). */
  private readonly seenAt = new Map<string, string>();
  private nodeUid?: string;
  private mirrorKick?: () => void;
  private scanKick?: () => void;

  constructor(private readonly o: StaticPodSourceOptions) {
    this.log = (o.log ?? silentLogger).with({ staticPods: o.dir });
    this.clock = o.clock ?? realClock;
    this.api = new InformerPodSource({ client: o.client, nodeName: o.nodeName, clock: o.clock, log: o.log });
  }

  /** The static pods currently read from the directory. */
  staticPods(): PodObject[] {
    return [...this.statics.values()];
  }

  listForNode(nodeName: string): Pod[] {
    return [...this.api.listForNode(nodeName).filter((p) => !isMirrorPod(p)), ...(nodeName === this.o.nodeName ? this.statics.values() : [])];
  }

  subscribe(nodeName: string, handler: PodEventHandler): () => void {
    const filtered: PodEventHandler = {
      upsert: (pod) => (isMirrorPod(pod) ? this.mirrorKick?.() : handler.upsert(pod)),
      remove: (pod) => (isMirrorPod(pod) ? this.mirrorKick?.() : handler.remove(pod)),
    };
    const off = this.api.subscribe(nodeName, filtered);
    if (nodeName !== this.o.nodeName) return off;
    this.handlers.add(handler);
    for (const pod of this.statics.values()) handler.upsert(pod);
    return () => {
      off();
      this.handlers.delete(handler);
    };
  }

  async waitForSync(signal: AbortSignal): Promise<boolean> {
    if (!(await this.api.waitForSync(signal))) return false;
    if (!this.scanned) await new Promise<void>((resolve) => {
      this.scannedWaiters.push(resolve);
      signal.addEventListener("abort", () => resolve(), { once: true });
    });
    return !signal.aborted;
  }

  /** Reads the directory and hands added, changed and removed pods to the subscribers. */
  async scan(): Promise<void> {
    const read = await readManifestDir(this.o.dir, this.o.nodeName);
    const errors = read.errors.join("\n");
    if (errors !== this.lastErrors) for (const e of read.errors) this.log.warn("static pod manifest skipped", { reason: e });
    this.lastErrors = errors;
    const next = new Map<string, PodObject>();
    for (const { pod } of read.pods) {
      const hash = pod.metadata!.uid!;
      const seen = this.seenAt.get(hash) ?? new Date(this.clock.now()).toISOString();
      this.seenAt.set(hash, seen);
      pod.metadata!.annotations![CONFIG_SEEN_ANNOTATION] = seen;
      next.set(hash, Object.freeze(pod) as PodObject);
    }
    let changed = false;
    for (const [uid, pod] of this.statics) {
      if (next.has(uid)) continue;
      this.statics.delete(uid);
      this.seenAt.delete(uid);
      changed = true;
      this.log.info("static pod removed", { pod: keyOf(pod), uid });
      for (const h of this.handlers) h.remove(pod);
    }
    for (const [uid, pod] of next) {
      if (this.statics.has(uid)) continue;
      this.statics.set(uid, pod);
      changed = true;
      this.log.info("static pod added", { pod: keyOf(pod), uid });
      for (const h of this.handlers) h.upsert(pod);
    }
    if (!this.scanned) {
      this.scanned = true;
      for (const w of this.scannedWaiters.splice(0)) w();
    }
    if (changed) this.mirrorKick?.();
  }

  /** Creates, replaces and deletes mirror pods so that each static pod has exactly one current mirror. */
  async syncMirrors(): Promise<number | void> {
    const pods = this.o.client.resource<PodObject>(resources.pods);
    if (!this.nodeUid) {
      try {
        this.nodeUid = (await this.o.client.resource<NodeObject>(resources.nodes).get(undefined, this.o.nodeName)).metadata?.uid;
      } catch (err) {
        if (isNotFound(err)) return 1000; // not registered yet: mirrors must be owned by the Node
        throw err;
      }
    }
    const byKey = new Map<string, PodObject>();
    for (const p of this.statics.values()) byKey.set(keyOf(p), p);
    const current = new Set<string>();
    for (const m of this.api.listForNode(this.o.nodeName)) {
      if (!isMirrorPod(m)) continue;
      const want = byKey.get(keyOf(m));
      const owner = m.metadata?.ownerReferences?.find((r) => r.kind === "Node");
      if (want && !m.metadata?.deletionTimestamp && m.metadata?.annotations?.[CONFIG_MIRROR_ANNOTATION] === want.metadata?.uid && owner?.uid === this.nodeUid) {
        current.add(keyOf(m));
        continue;
      }
      this.log.info(want ? "replacing mirror pod" : "deleting mirror pod", { pod: keyOf(m) });
      try {
        await pods.delete(m.metadata?.namespace, m.metadata?.name ?? "", { gracePeriodSeconds: 0, preconditions: { uid: m.metadata?.uid } });
      } catch (err) {
        if (!isNotFound(err) && !isConflict(err)) throw err;
      }
    }
    for (const [key, pod] of byKey) {
      if (current.has(key)) continue;
      const mirror: PodObject = {
        apiVersion: "v1",
        kind: "Pod",
        metadata: {
          name: pod.metadata!.name,
          namespace: pod.metadata!.namespace,
          labels: pod.metadata!.labels,
          annotations: { ...pod.metadata!.annotations, [CONFIG_MIRROR_ANNOTATION]: pod.metadata!.uid! },
          ownerReferences: [{ apiVersion: "v1", kind: "Node", name: this.o.nodeName, uid: this.nodeUid!, controller: true }],
        },
        spec: pod.spec,
      };
      try {
        await pods.create(pod.metadata!.namespace, mirror);
        this.log.info("mirror pod created", { pod: key });
        this.o.onMirrorCreated?.(pod.metadata!.uid!);
      } catch (err) {
        // Already there (the informer had not seen it yet, or a pod of that name that is not a mirror).
        if (!isAlreadyExists(err)) throw err;
      }
    }
  }

  /** Lists and watches the API, follows the directory and keeps mirror pods until the signal aborts. */
  async run(signal: AbortSignal): Promise<void> {
    const informer = this.api.run(signal);
    const scans = this.loop(signal, this.o.rescanMs ?? DEFAULT_RESCAN_MS, "reading static pod manifests", () => this.scan(), (kick) => (this.scanKick = kick));
    let watcher: FSWatcher | undefined;
    const startWatch = (): void => {
      if (watcher || signal.aborted) return;
      try {
        watcher = watch(this.o.dir, () => this.scanKick?.());
        watcher.on("error", () => {
          watcher?.close();
          watcher = undefined;
        });
      } catch {
        // The directory does not exist yet: the periodic read notices it.
      }
    };
    startWatch();
    const rewatch = setInterval(startWatch, 2000);
    rewatch.unref();
    const mirrors = (async () => {
      // Both the API's pods and the directory first: a mirror judged before the first read would look orphaned.
      if (!(await this.waitForSync(signal))) return;
      await this.loop(signal, MIRROR_RESYNC_MS, "syncing mirror pods", () => this.syncMirrors(), (kick) => (this.mirrorKick = kick));
    })();
    await Promise.all([informer, scans, mirrors]);
    clearInterval(rewatch);
    watcher?.close();
  }

  /** Runs fn now, then every periodMs (or as soon as fn asks) and, debounced, whenever the kick handed to setKick is called. */
  private async loop(signal: AbortSignal, periodMs: number, what: string, fn: () => Promise<number | void>, setKick: (kick: () => void) => void): Promise<void> {
    let wake: (() => void) | undefined;
    let kicked = false;
    setKick(() => {
      kicked = true;
      wake?.();
    });
    while (!signal.aborted) {
      kicked = false;
      let waitMs = periodMs;
      try {
        waitMs = (await fn()) ?? periodMs;
      } catch (err) {
        this.log.warn(`${what} failed`, { err });
        waitMs = Math.min(periodMs, 2000);
      }
      if (kicked) waitMs = 100;
      await new Promise<void>((resolve) => {
        let over = false;
        const done = (): void => {
          if (over) return;
          over = true;
          clearTimeout(t);
          signal.removeEventListener("abort", done);
          wake = undefined;
          resolve();
        };
        const t = setTimeout(done, waitMs);
        // Kicks arriving close together are folded into one pass.
        wake = () => void setTimeout(done, 100);
        signal.addEventListener("abort", done, { once: true });
        if (signal.aborted) done();
      });
    }
  }
}
