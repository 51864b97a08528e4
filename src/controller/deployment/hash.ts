// The pod-template-hash: a stable hash of a Deployment's pod template that names its ReplicaSet
// (<deployment>-<hash>) and labels its pods. Normalized so that the same template always hashes the same: the
// pod-template-hash label itself is left out, object keys are sorted, and empty values (null, {}, []) count as
// absent. The collision count, when set, is mixed in so a collision yields a new name. The hash is FNV-1a 32
// rendered as its decimal digits mapped onto Kubernetes' "safe" alphabet (no vowels, no 0/1/3), as Kubernetes'
// names look.
import type { PodTemplateSpec } from "kubernetes-types/core/v1.js";

export const POD_TEMPLATE_HASH_LABEL = "pod-template-hash";

// Characters that cannot form words or be confused with each other, as k8s.io/apimachinery/pkg/util/rand uses.
const SAFE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789";

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Drops null/undefined and empty objects and arrays, recursively; object keys sorted. */
export function normalize(v: unknown): Json | undefined {
  if (v === null || v === undefined) return undefined;
  if (Array.isArray(v)) {
    const items = v.map(normalize).map((x) => (x === undefined ? null : x));
    return items.length ? items : undefined;
  }
  if (typeof v === "object") {
    const out: { [k: string]: Json } = {};
    for (const k of Object.keys(v).sort()) {
      const n = normalize((v as Record<string, unknown>)[k]);
      if (n !== undefined) out[k] = n;
    }
    return Object.keys(out).length ? out : undefined;
  }
  return v as Json;
}

/** The template without the pod-template-hash label, normalized. */
export function normalizedTemplate(template: PodTemplateSpec | undefined): Json | undefined {
  const t = structuredClone(template ?? {});
  if (t.metadata?.labels) {
    const { [POD_TEMPLATE_HASH_LABEL]: _hash, ...rest } = t.metadata.labels;
    t.metadata.labels = rest;
  }
  return normalize(t);
}

function fnv1a32(data: string): number {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(data, "utf8")) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export function safeEncode(s: string): string {
  let out = "";
  for (const b of Buffer.from(s, "utf8")) out += SAFE_ALPHABET[b % SAFE_ALPHABET.length];
  return out;
}

export function computeHash(template: PodTemplateSpec | undefined, collisionCount?: number): string {
  let data = JSON.stringify(normalizedTemplate(template) ?? {});
  if (collisionCount !== undefined && collisionCount !== null) data += String(collisionCount);
  return safeEncode(String(fnv1a32(data)));
}

/** Two templates equal apart from the pod-template-hash label (how the new ReplicaSet of a Deployment is found). */
export function equalIgnoreHash(a: PodTemplateSpec | undefined, b: PodTemplateSpec | undefined): boolean {
  return JSON.stringify(normalizedTemplate(a)) === JSON.stringify(normalizedTemplate(b));
}
