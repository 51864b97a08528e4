// Content negotiation: which representation the client asked for (Accept) and how a request body is encoded
// (Content-Type). JSON is the default; YAML is served on request; protobuf is answered with JSON (clients accept it).
import { jsonOf, listJsonOf } from "../util/json_cache.js";
import { stringify as yamlStringify } from "yaml";

export type Format = "json" | "yaml";

/** Alternative representations of meta.k8s.io (`as=Table;g=meta.k8s.io;v=v1`). */
export type Transform = "Table" | "PartialObjectMetadata" | "PartialObjectMetadataList";

export interface Negotiated {
  format: Format;
  transform?: Transform;
  /** meta.k8s.io version of the transform: "v1" or "v1beta1". */
  transformVersion?: string;
}

export interface MediaType {
  type: string;
  params: Record<string, string>;
}

export function parseMediaTypes(header: string | undefined): MediaType[] {
  if (!header) return [];
  const out: { mt: MediaType; q: number; i: number }[] = [];
  header.split(",").forEach((raw, i) => {
    const [t, ...ps] = raw.split(";").map((s) => s.trim());
    if (!t) return;
    const params: Record<string, string> = {};
    for (const p of ps) {
      const eq = p.indexOf("=");
      if (eq > 0) params[p.slice(0, eq).trim().toLowerCase()] = p.slice(eq + 1).trim().replace(/^"|"$/g, "");
    }
    const q = params.q !== undefined ? Number(params.q) : 1;
    out.push({ mt: { type: t.toLowerCase(), params }, q: Number.isFinite(q) ? q : 1, i });
  });
  // Stable by position among equal quality, as clients list their preferences in order.
  return out.filter((x) => x.q > 0).sort((a, b) => b.q - a.q || a.i - b.i).map((x) => x.mt);
}

const JSON_TYPES = new Set(["application/json", "*/*", "application/*", "application/vnd.kubernetes.protobuf"]);
const YAML_TYPES = new Set(["application/yaml", "application/x-yaml", "text/yaml"]);
const TRANSFORMS = new Set<string>(["Table", "PartialObjectMetadata", "PartialObjectMetadataList"]);

/** Answers by offered transforms (by identity: callers pass constant arrays) and Accept header. Clients send a
 *  handful of distinct Accept values, and parsing one (split, trim, sort) on every request cost more than the
 *  lookup. Bounded: a map is cleared when it reaches 256 entries. */
const negotiated = new WeakMap<readonly Transform[], Map<string, Readonly<Negotiated>>>();
const NEGOTIATED_MAX = 256;
const NO_TRANSFORMS: readonly Transform[] = Object.freeze([]);

/**
 * Picks the first acceptable representation. `transforms` says which `as=` representations the endpoint offers
 * (resource reads); an entry asking for another is skipped, as Kubernetes does, so clients fall back to the next.
 * The answer is shared between requests: callers must not modify it.
 */
export function negotiate(accept: string | undefined, transforms: readonly Transform[] = NO_TRANSFORMS): Readonly<Negotiated> {
  if (!accept) return JSON_ONLY;
  let byAccept = negotiated.get(transforms);
  if (byAccept === undefined) {
    byAccept = new Map();
    negotiated.set(transforms, byAccept);
  }
  let out = byAccept.get(accept);
  if (out === undefined) {
    out = Object.freeze(negotiateUncached(accept, transforms));
    if (byAccept.size >= NEGOTIATED_MAX) byAccept.clear();
    byAccept.set(accept, out);
  }
  return out;
}

const JSON_ONLY: Readonly<Negotiated> = Object.freeze({ format: "json" });

function negotiateUncached(accept: string | undefined, transforms: readonly Transform[]): Negotiated {
  for (const mt of parseMediaTypes(accept)) {
    const format: Format | undefined = YAML_TYPES.has(mt.type) ? "yaml" : JSON_TYPES.has(mt.type) ? "json" : undefined;
    if (!format) continue;
    const as = mt.params.as;
    if (as === undefined) return { format };
    if (!TRANSFORMS.has(as) || !transforms.includes(as as Transform)) continue;
    if ((mt.params.g ?? "meta.k8s.io") !== "meta.k8s.io") continue;
    const v = mt.params.v ?? "v1";
    if (v !== "v1" && v !== "v1beta1") continue;
    return { format, transform: as as Transform, transformVersion: v };
  }
  return { format: "json" };
}

/** The aggregated discovery version asked for (`g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList`), if any. */
export function aggregatedDiscoveryVersion(accept: string | undefined): "v2" | "v2beta1" | undefined {
  for (const mt of parseMediaTypes(accept)) {
    if (mt.type !== "application/json" && mt.type !== "application/vnd.kubernetes.protobuf") {
      if (mt.type === "*/*" || mt.type === "application/*") return undefined;
      continue;
    }
    const p = mt.params;
    if (p.as === undefined) return undefined;
    if (p.g === "apidiscovery.k8s.io" && p.as === "APIGroupDiscoveryList" && (p.v === "v2" || p.v === "v2beta1")) return p.v;
  }
  return undefined;
}

export interface Encoded {
  contentType: string;
  body: string;
}

export function encode(value: unknown, format: Format, opts: { pretty?: boolean } = {}): Encoded {
  if (format === "yaml") return { contentType: "application/yaml", body: yamlStringify(value, { lineWidth: 0 }) };
  if (opts.pretty) return { contentType: "application/json", body: JSON.stringify(value, null, 2) + "\n" };
  // Lists reuse the memoized text of their (frozen, cached) items.
  const isList = value !== null && typeof value === "object" && Array.isArray((value as { items?: unknown }).items);
  return { contentType: "application/json", body: (isList ? listJsonOf(value as { items: unknown[] }) : jsonOf(value)) + "\n" };
}

/** How a request body is encoded, from its Content-Type ("" when absent). */
export type BodyEncoding = "json" | "yaml" | "json-patch" | "merge-patch" | "strategic-merge-patch" | "apply-patch" | "protobuf" | "unknown";

export function bodyEncoding(contentType: string | undefined): BodyEncoding {
  // What nearly every client sends, answered without splitting and lower-casing it.
  if (contentType === "application/json") return "json";
  const t = (contentType ?? "").split(";")[0]!.trim().toLowerCase();
  switch (t) {
    case "":
    case "application/json":
    case "*/*":
      return "json";
    case "application/yaml":
    case "application/x-yaml":
    case "text/yaml":
      return "yaml";
    case "application/json-patch+json":
      return "json-patch";
    case "application/merge-patch+json":
      return "merge-patch";
    case "application/strategic-merge-patch+json":
      return "strategic-merge-patch";
    case "application/apply-patch+yaml":
    case "application/apply-patch+cbor":
      return t.endsWith("cbor") ? "unknown" : "apply-patch";
    case "application/vnd.kubernetes.protobuf":
      return "protobuf";
    default:
      return "unknown";
  }
}
