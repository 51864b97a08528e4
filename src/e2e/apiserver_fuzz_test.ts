// Hostile input: thousands of malformed bodies, paths and query strings. Every answer must be a Kubernetes Status
// with a client-error code, the server must keep answering, and no stored object may change.
import { test } from "node:test";
import assert from "node:assert/strict";
import { request } from "node:http";
import { startCluster } from "./kubectl_harness.js";

interface Reply {
  status: number;
  body: string;
}

function send(base: string, method: string, path: string, body?: string | Buffer, contentType = "application/json"): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const u = new URL(base);
    const req = request(
      { host: u.hostname, port: u.port, method, path, headers: body === undefined ? {} : { "content-type": contentType, "content-length": Buffer.byteLength(body) } },
      (res) => {
        let data = "";
        res.setEncoding("utf8");
        res.on("data", (d: string) => (data += d));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: data }));
      },
    );
    req.on("error", reject);
    req.setTimeout(10_000, () => req.destroy(new Error(`timeout ${method} ${path}`)));
    req.end(body);
  });
}

/** A small deterministic PRNG so a failure can be replayed. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const HOSTILE_VALUES: unknown[] = [
  null, true, 0, -1, 1e308, "", "x".repeat(300), "../../etc", "\u0000", { $ref: "x" }, [], [[]], { a: { b: { c: {} } } },
  "Ünïcødé", 12.5, "1Gi", { __proto__: { polluted: true } }, "<script>", "'; DROP TABLE", Number.MAX_SAFE_INTEGER,
];

function mutate(obj: unknown, r: () => number, depth = 0): unknown {
  if (depth > 4 || obj === null || typeof obj !== "object") return HOSTILE_VALUES[Math.floor(r() * HOSTILE_VALUES.length)];
  const copy: Record<string, unknown> = Array.isArray(obj) ? ({ ...obj } as Record<string, unknown>) : { ...(obj as Record<string, unknown>) };
  const keys = Object.keys(copy);
  const k = keys.length ? keys[Math.floor(r() * keys.length)]! : "extra";
  const roll = r();
  if (roll < 0.3) copy[k] = HOSTILE_VALUES[Math.floor(r() * HOSTILE_VALUES.length)];
  else if (roll < 0.5) delete copy[k];
  else if (roll < 0.6) copy[`unknown${Math.floor(r() * 100)}`] = "x";
  else copy[k] = mutate(copy[k], r, depth + 1);
  return Array.isArray(obj) ? Object.values(copy) : copy;
}

const POD = { apiVersion: "v1", kind: "Pod", metadata: { name: "fz", labels: { a: "b" } }, spec: { containers: [{ name: "c", image: "busybox", ports: [{ containerPort: 80 }] }] } };
const DEPLOY = {
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "fzd" },
  spec: { replicas: 1, selector: { matchLabels: { a: "b" } }, template: { metadata: { labels: { a: "b" } }, spec: { containers: [{ name: "c", image: "busybox" }] } } },
};

test("2,000+ hostile requests: Status answers, server alive, stored data intact", async () => {
  // The API server alone: no controller may change the objects whose integrity is checked.
  const c = await startCluster({ controllers: false });
  try {
    const base = c.url;
    // Known objects that must survive unchanged.
    const keep = [
      ["/api/v1/namespaces/default/configmaps", { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "keep" }, data: { a: "1" } }],
      ["/apis/apps/v1/namespaces/default/deployments", { ...DEPLOY, metadata: { name: "keep-d" } }],
      ["/api/v1/namespaces/default/pods", { ...POD, metadata: { name: "keep-p" } }],
    ] as const;
    const snapshots: string[] = [];
    for (const [path, obj] of keep) {
      const r = await send(base, "POST", path, JSON.stringify(obj));
      assert.equal(r.status, 201, r.body);
    }
    const read = async (): Promise<string[]> =>
      Promise.all(keep.map(async ([path, obj]) => (await send(base, "GET", `${path}/${(obj.metadata as { name: string }).name}`)).body));
    snapshots.push(...(await read()));

    const r = rng(20261126);
    const paths = [
      "/api/v1/namespaces/default/pods", "/apis/apps/v1/namespaces/default/deployments", "/api/v1/namespaces/default/configmaps",
      "/api/v1/namespaces/default/pods/keep-p", "/apis/apps/v1/namespaces/default/deployments/keep-d", "/api/v1/namespaces/default/configmaps/keep",
      "/api/v1/namespaces/default/pods/keep-p/status", "/apis/apps/v1/namespaces/default/deployments/keep-d/scale",
    ];
    const junkPaths = [
      "/api/v1/namespaces/default/pods/../../../etc/passwd", "/api/v1/namespaces/%00/pods", "/apis/nope/v9/things", "/api/v2",
      "/api/v1/namespaces/default/pods/a/b/c/d/e", "/api/v1/namespaces//pods", "/api/v1/namespaces/default/pods?labelSelector=a%20in%20(",
      "/api/v1/pods?fieldSelector=spec.bogus%3Dx", "/api/v1/pods?limit=-5", "/api/v1/pods?limit=abc", "/api/v1/pods?continue=garbage",
      "/api/v1/pods?resourceVersion=abc", "/api/v1/pods?watch=true&resourceVersion=1&timeoutSeconds=abc", "/%ff%fe", "/api/v1/namespaces/default/configmaps/keep?dryRun=Bogus",
      "/apis/apps/v1/namespaces/default/deployments/keep-d/scale?fieldValidation=Maybe", "/" + "a/".repeat(500),
    ];
    const bodies: Array<() => [string | Buffer, string]> = [
      () => ["{", "application/json"],
      () => ["null", "application/json"],
      () => ["[]", "application/json"],
      () => ['"just a string"', "application/json"],
      () => [Buffer.from([0xff, 0xfe, 0x00, 0x01]), "application/json"],
      () => ["kind: Pod\nmetadata: [unclosed", "application/yaml"],
      () => ["{}", "text/csv"],
      () => [JSON.stringify(mutate(POD, r)), "application/json"],
      () => [JSON.stringify(mutate(DEPLOY, r)), "application/json"],
      () => [JSON.stringify(mutate(mutate(POD, r), r)), "application/json"],
      () => [JSON.stringify({ ...POD, metadata: { name: "keep-p" } }), "application/json"],
      () => [JSON.stringify({ ...POD, kind: "Service" }), "application/json"],
      () => [JSON.stringify({ ...POD, apiVersion: "v9" }), "application/json"],
      () => ['{"a":' + "[".repeat(5000) + "]".repeat(5000) + "}", "application/json"],
    ];
    const methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"];
    const patchTypes = ["application/json-patch+json", "application/merge-patch+json", "application/strategic-merge-patch+json", "application/apply-patch+yaml", "application/x-what"];
    let n = 0;
    const codes = new Map<number, number>();
    const record = (reply: Reply, what: string): void => {
      n++;
      codes.set(reply.status, (codes.get(reply.status) ?? 0) + 1);
      assert.ok(reply.status < 500, `${what} -> ${reply.status} ${reply.body.slice(0, 300)}`);
      if (reply.status >= 400) {
        const s = JSON.parse(reply.body) as { kind: string; code: number; reason: string; status: string };
        assert.equal(s.kind, "Status", what);
        assert.equal(s.code, reply.status, what);
        assert.equal(s.status, "Failure", what);
      }
    };
    for (let i = 0; n < 1700; i++) {
      const method = methods[Math.floor(r() * methods.length)]!;
      const path = r() < 0.8 ? paths[Math.floor(r() * paths.length)]! : junkPaths[Math.floor(r() * junkPaths.length)]!;
      // Deleting a real object or collection is a legal request, not a hostile one: only junk paths get DELETE.
      if (method === "DELETE" && paths.includes(path)) continue;
      const [body, ctype0] = bodies[Math.floor(r() * bodies.length)]!();
      const ctype = method === "PATCH" ? patchTypes[Math.floor(r() * patchTypes.length)]! : ctype0;
      const withBody = method === "POST" || method === "PUT" || method === "PATCH";
      // Writes to the kept objects go through dryRun so they may be accepted without changing anything.
      const p = withBody && /keep/.test(path) ? `${path}${path.includes("?") ? "&" : "?"}dryRun=All` : path;
      record(await send(base, method, p, withBody ? body : undefined, ctype), `${method} ${p} ${String(body).slice(0, 80)}`);
    }
    // Oversized bodies: 413.
    const big = JSON.stringify({ ...POD, metadata: { name: "big" }, data: "x".repeat(4 << 20) });
    for (let i = 0; i < 3; i++) {
      const reply = await send(base, "POST", "/api/v1/namespaces/default/configmaps", big);
      assert.equal(reply.status, 413);
      record(reply, "oversized");
    }
    // Hostile query strings on list and watch.
    const queries = ["labelSelector=!!!", "labelSelector=a%3D%3D%3Db", "fieldSelector=metadata.name%3D%3D%3Dx", "limit=1e99", "timeoutSeconds=-1", "watch=maybe", "resourceVersionMatch=Sometimes", "propagationPolicy=Sideways", "gracePeriodSeconds=soon"];
    for (let i = 0; i < 400; i++) {
      const q = queries[Math.floor(r() * queries.length)]!;
      const path = paths[Math.floor(r() * 3)]!;
      const method = q.startsWith("propagation") || q.startsWith("grace") ? "DELETE" : "GET";
      const target = method === "DELETE" ? `${path}/does-not-exist?${q}` : `${path}?${q}&timeoutSeconds=1`;
      record(await send(base, method, target), `${method} ${target}`);
    }
    assert.ok(n >= 2000, `sent ${n}`);
    const alive = await send(base, "GET", "/readyz");
    assert.equal(alive.status, 200);
    assert.deepEqual(await read(), snapshots, "stored objects unchanged");
  } finally {
    await c.stop();
  }
});
