// The files of the API-backed volumes: configMap, secret, downwardAPI and projected (which combines those three with
// a service account token). Each becomes a Payload for the atomic writer. A missing config map or secret (or a key
// named in items) that is not optional is a ConfigError; an optional one contributes no files.
import type { ConfigMap, DownwardAPIVolumeFile, KeyToPath, Pod, Secret, ServiceAccountTokenProjection, Volume } from "kubernetes-types/core/v1.js";
import { ConfigError, resolveFieldRef, resolveResourceFieldRef, type PodRuntimeFacts } from "../env/field_ref.js";
import type { FileProjection, Payload } from "./atomic_writer.js";
import type { PodObjectSource } from "./sources.js";

/** 0644, Kubernetes' default mode for projected files. */
export const DEFAULT_MODE = 0o644;
/** Lifetime a projected token claims when the pod does not say (Kubernetes' default, one hour). */
const DEFAULT_TOKEN_EXPIRATION_S = 3600;

export interface PayloadContext {
  source: PodObjectSource;
  facts: PodRuntimeFacts;
  allocatable?: Record<string, string>;
  now: number;
}

/** Key -> bytes of a config map (data and binaryData) or a secret (data, base64 in the API). */
type Entries = Map<string, Buffer>;

const configMapEntries = (cm: ConfigMap): Entries =>
  new Map([
    ...Object.entries(cm.data ?? {}).map(([k, v]): [string, Buffer] => [k, Buffer.from(v)]),
    ...Object.entries(cm.binaryData ?? {}).map(([k, v]): [string, Buffer] => [k, Buffer.from(v, "base64")]),
  ]);

const secretEntries = (s: Secret): Entries => new Map(Object.entries(s.data ?? {}).map(([k, v]): [string, Buffer] => [k, Buffer.from(v, "base64")]));

function project(out: Payload, entries: Entries, what: string, opts: { items?: KeyToPath[]; mode: number; optional: boolean }): void {
  if (!opts.items || opts.items.length === 0) {
    for (const [k, data] of entries) out.set(k, { data, mode: opts.mode });
    return;
  }
  for (const item of opts.items) {
    const data = entries.get(item.key);
    if (data === undefined) {
      if (opts.optional) continue;
      throw new ConfigError(`configuration key ${JSON.stringify(item.key)} not found in ${what}`);
    }
    out.set(item.path, { data, mode: item.mode ?? opts.mode });
  }
}

async function configMapFiles(out: Payload, pod: Pod, ref: { name?: string; items?: KeyToPath[]; optional?: boolean }, mode: number, ctx: PayloadContext): Promise<void> {
  const ns = pod.metadata?.namespace ?? "default";
  const cm = await ctx.source.configMap(ns, ref.name ?? "");
  if (!cm) {
    if (ref.optional) return;
    throw new ConfigError(`configmap "${ref.name}" not found`);
  }
  project(out, configMapEntries(cm), `ConfigMap ${ns}/${ref.name}`, { items: ref.items, mode, optional: ref.optional ?? false });
}

async function secretFiles(out: Payload, pod: Pod, ref: { name?: string; items?: KeyToPath[]; optional?: boolean }, mode: number, ctx: PayloadContext): Promise<void> {
  const ns = pod.metadata?.namespace ?? "default";
  const s = await ctx.source.secret(ns, ref.name ?? "");
  if (!s) {
    if (ref.optional) return;
    throw new ConfigError(`secret "${ref.name}" not found`);
  }
  project(out, secretEntries(s), `Secret ${ns}/${ref.name}`, { items: ref.items, mode, optional: ref.optional ?? false });
}

function downwardFiles(out: Payload, pod: Pod, items: DownwardAPIVolumeFile[], mode: number, ctx: PayloadContext): void {
  for (const item of items) {
    let text = "";
    if (item.fieldRef) text = resolveFieldRef(pod, item.fieldRef, ctx.facts);
    else if (item.resourceFieldRef) text = resolveResourceFieldRef(pod, item.resourceFieldRef, { allocatable: ctx.allocatable });
    out.set(item.path, { data: Buffer.from(text), mode: item.mode ?? mode });
  }
}

const b64url = (s: string): string => Buffer.from(s).toString("base64url");

/**
 * A JWT-shaped placeholder until the API server issues service account tokens: header and claims like a real
 * projected token (issuer, audience, subject, expiry, the pod it is bound to), signed with nothing ("alg": "none").
 */
export function placeholderToken(pod: Pod, proj: ServiceAccountTokenProjection, nowMs: number): string {
  const ns = pod.metadata?.namespace ?? "default";
  const sa = pod.spec?.serviceAccountName ?? "default";
  const iat = Math.floor(nowMs / 1000);
  const claims = {
    aud: [proj.audience || "https://kubernetes.default.svc.cluster.local"],
    exp: iat + (proj.expirationSeconds ?? DEFAULT_TOKEN_EXPIRATION_S),
    iat,
    iss: "https://kubernetes.default.svc.cluster.local",
    sub: `system:serviceaccount:${ns}:${sa}`,
    "kubernetes.io": { namespace: ns, pod: { name: pod.metadata?.name, uid: pod.metadata?.uid }, serviceaccount: { name: sa } },
  };
  return `${b64url(JSON.stringify({ alg: "none", typ: "JWT" }))}.${b64url(JSON.stringify(claims))}.`;
}

/** The files of an API-backed volume, or undefined for other kinds (emptyDir, hostPath, PVC). */
export async function volumePayload(pod: Pod, vol: Volume, ctx: PayloadContext): Promise<Payload | undefined> {
  const out: Payload = new Map<string, FileProjection>();
  if (vol.configMap) await configMapFiles(out, pod, vol.configMap, vol.configMap.defaultMode ?? DEFAULT_MODE, ctx);
  else if (vol.secret) await secretFiles(out, pod, { ...vol.secret, name: vol.secret.secretName }, vol.secret.defaultMode ?? DEFAULT_MODE, ctx);
  else if (vol.downwardAPI) downwardFiles(out, pod, vol.downwardAPI.items ?? [], vol.downwardAPI.defaultMode ?? DEFAULT_MODE, ctx);
  else if (vol.projected) {
    const mode = vol.projected.defaultMode ?? DEFAULT_MODE;
    for (const src of vol.projected.sources ?? []) {
      if (src.configMap) await configMapFiles(out, pod, src.configMap, mode, ctx);
      else if (src.secret) await secretFiles(out, pod, src.secret, mode, ctx);
      else if (src.downwardAPI) downwardFiles(out, pod, src.downwardAPI.items ?? [], mode, ctx);
      else if (src.serviceAccountToken) {
        out.set(src.serviceAccountToken.path, { data: Buffer.from(placeholderToken(pod, src.serviceAccountToken, ctx.now)), mode });
      }
    }
  } else return undefined;
  return out;
}
