// Builders and polling for the volume controllers' tests.
import type { ClaimObject, VolumeObject } from "./volume_util.js";

/** Polls every 25 ms until probe answers something other than undefined/false; throws naming `what` after ms. */
export async function until<T>(what: string, probe: () => Promise<T | undefined | false>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export function pv(name: string, size: string, opts: { cls?: string; modes?: string[]; labels?: Record<string, string>; policy?: string; claim?: { namespace: string; name: string } } = {}): VolumeObject {
  return {
    apiVersion: "v1",
    kind: "PersistentVolume",
    metadata: { name, labels: opts.labels },
    spec: {
      capacity: { storage: size },
      accessModes: opts.modes ?? ["ReadWriteOnce"],
      storageClassName: opts.cls ?? "manual",
      persistentVolumeReclaimPolicy: opts.policy ?? "Retain",
      hostPath: { path: `/tmp/k8ts-test-volumes/${name}` },
      claimRef: opts.claim,
    },
  };
}

export function pvc(name: string, size: string, opts: { cls?: string | null; modes?: string[]; selector?: Record<string, string>; volumeName?: string } = {}): ClaimObject {
  const spec: ClaimObject["spec"] = { accessModes: opts.modes ?? ["ReadWriteOnce"], resources: { requests: { storage: size } } };
  if (opts.cls !== null) spec.storageClassName = opts.cls ?? "manual";
  if (opts.selector) spec.selector = { matchLabels: opts.selector };
  if (opts.volumeName) spec.volumeName = opts.volumeName;
  return { apiVersion: "v1", kind: "PersistentVolumeClaim", metadata: { name }, spec };
}
