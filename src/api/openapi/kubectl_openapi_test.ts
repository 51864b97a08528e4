// End to end with the real kubectl 1.31: a throwaway HTTP server serves just enough discovery plus the OpenAPI v3
// index and documents for `kubectl explain` to print field documentation and for `kubectl apply` to find the
// server-side field validation and the merge keys it computes strategic merge patches from.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { openapiV3Document, openapiV3Index, type OpenAPIResource } from "./v3.js";

const KUBECTL = "/usr/lib/google-cloud-sdk/bin/kubectl.1.31";
const skip = existsSync(KUBECTL) ? false : `${KUBECTL} is not installed`;
const run = promisify(execFile);

const VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];
const RESOURCES: Record<string, OpenAPIResource[]> = {
  v1: [{ kind: "ConfigMap", resource: "configmaps", namespaced: true, subresources: [], verbs: VERBS }],
  "apps/v1": [{ kind: "Deployment", resource: "deployments", namespaced: true, subresources: ["status", "scale"], verbs: VERBS }],
};
const DOCS = {
  v1: openapiV3Document({ group: "", version: "v1" }, RESOURCES.v1!),
  "apps/v1": openapiV3Document({ group: "apps", version: "v1" }, RESOURCES["apps/v1"]!),
};

interface Seen { method: string; url: string; contentType?: string; body: string }
let server: Server;
let base = "";
let home = "";
const seen: Seen[] = [];
/** The object the fake server holds for GET .../deployments/web (undefined: 404). */
let stored: Record<string, unknown> | undefined;

function resourceList(gv: string): object {
  return {
    kind: "APIResourceList", apiVersion: "v1", groupVersion: gv,
    resources: RESOURCES[gv]!.flatMap((r) => [
      { name: r.resource, singularName: r.kind.toLowerCase(), namespaced: r.namespaced, kind: r.kind, verbs: r.verbs },
      ...r.subresources.map((s) => ({ name: `${r.resource}/${s}`, singularName: "", namespaced: r.namespaced, kind: s === "scale" ? "Scale" : r.kind, verbs: ["get", "patch", "update"] })),
    ]),
  };
}

function routes(req: IncomingMessage, body: string): [number, unknown] {
  const url = new URL(req.url ?? "/", "http://x");
  switch (url.pathname) {
    case "/version": return [200, { major: "1", minor: "31", gitVersion: "v1.31.0", platform: "linux/amd64" }];
    case "/api": return [200, { kind: "APIVersions", versions: ["v1"], serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress: base.slice(7) }] }];
    case "/apis": return [200, {
      kind: "APIGroupList", apiVersion: "v1",
      groups: [{ name: "apps", versions: [{ groupVersion: "apps/v1", version: "v1" }], preferredVersion: { groupVersion: "apps/v1", version: "v1" } }],
    }];
    case "/api/v1": return [200, resourceList("v1")];
    case "/apis/apps/v1": return [200, resourceList("apps/v1")];
    case "/openapi/v3": return [200, openapiV3Index(Object.keys(DOCS), { documents: DOCS })];
    case "/openapi/v3/api/v1": return [200, DOCS.v1];
    case "/openapi/v3/apis/apps/v1": return [200, DOCS["apps/v1"]];
    case "/apis/apps/v1/namespaces/default/deployments/web":
      if (req.method === "GET") return stored ? [200, stored] : [404, notFound()];
      if (req.method === "PATCH") return [200, stored];
      break;
    case "/apis/apps/v1/namespaces/default/deployments":
      if (req.method === "POST") return [201, JSON.parse(body)];
  }
  return [404, notFound()];
}

function notFound(): object {
  return { kind: "Status", apiVersion: "v1", status: "Failure", message: "not found", reason: "NotFound", code: 404 };
}

before(async () => {
  if (skip) return;
  home = mkdtempSync(join(tmpdir(), "k8ts-kubectl-openapi-"));
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      seen.push({ method: req.method ?? "", url: req.url ?? "", contentType: req.headers["content-type"], body });
      const [code, out] = routes(req, body);
      res.writeHead(code, { "Content-Type": "application/json" });
      res.end(JSON.stringify(out));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const addr = server.address();
  assert.ok(addr && typeof addr === "object");
  base = `http://127.0.0.1:${addr.port}`;
});

after(async () => {
  if (skip) return;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(home, { recursive: true, force: true });
});

async function kubectl(args: string[], input?: string): Promise<string> {
  const child = run(KUBECTL, [...args, "--server", base, "--cache-dir", join(home, "cache")], {
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home, KUBECONFIG: join(home, "none") },
    timeout: 60_000,
  });
  if (input !== undefined) {
    child.child.stdin?.end(input);
  }
  const { stdout } = await child;
  return stdout;
}

test("kubectl explain prints field documentation from the v3 document", { skip }, async () => {
  const out = await kubectl(["explain", "deployments.spec.replicas"]);
  assert.match(out, /GROUP:\s+apps/);
  assert.match(out, /FIELD: replicas <integer>/);
  assert.match(out, /Number of desired pods/);
  const spec = await kubectl(["explain", "deployment.spec.template.spec.containers"]);
  assert.match(spec, /List of containers belonging to the pod/);
  assert.match(spec, /image\s+<string>/);
  const surge = await kubectl(["explain", "deployment.spec.strategy.rollingUpdate"]);
  assert.match(surge, /maxSurge\s+<IntOrString>/);
  assert.match(surge, /The maximum number of pods that can be scheduled above the desired number/);
});

test("kubectl apply validates on the server (fieldValidation=Strict) and merges containers by name", { skip }, async () => {
  const manifest = {
    apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "web", namespace: "default" },
    spec: {
      replicas: 1, selector: { matchLabels: { app: "web" } },
      template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "a", image: "nginx:1" }, { name: "b", image: "busybox" }] } },
    },
  };
  seen.length = 0;
  stored = undefined;
  await kubectl(["apply", "-f", "-"], JSON.stringify(manifest));
  const post = seen.find((s) => s.method === "POST");
  assert.ok(post, `no POST among ${seen.map((s) => `${s.method} ${s.url}`).join(", ")}`);
  assert.match(post.url, /fieldValidation=Strict/);
  assert.ok(!seen.some((s) => s.url.startsWith("/openapi/v2")), "kubectl fell back to /openapi/v2");

  // Second apply changes one container's image: the strategic merge patch names containers by their merge key.
  stored = { ...JSON.parse(post.body), metadata: { ...JSON.parse(post.body).metadata, resourceVersion: "1", uid: "u1" } };
  seen.length = 0;
  manifest.spec.template.spec.containers[1]!.image = "busybox:2";
  await kubectl(["apply", "-f", "-"], JSON.stringify(manifest));
  const patch = seen.find((s) => s.method === "PATCH");
  assert.ok(patch, `no PATCH among ${seen.map((s) => `${s.method} ${s.url}`).join(", ")}`);
  assert.equal(patch.contentType, "application/strategic-merge-patch+json");
  const body = JSON.parse(patch.body) as { spec: { template: { spec: Record<string, unknown> } } };
  assert.deepEqual(body.spec.template.spec["$setElementOrder/containers"], [{ name: "a" }, { name: "b" }]);
  assert.deepEqual(body.spec.template.spec.containers, [{ image: "busybox:2", name: "b" }]);
});
