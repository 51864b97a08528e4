import { test } from "node:test";
import assert from "node:assert/strict";
import { StatusError } from "./errors.js";
import { mapResolver } from "./openapi_schema.js";
import { testSchemas } from "./testing_schemas.js";
import { applyStrategicMergePatch } from "./strategic_merge_patch.js";

const opts = { resolver: mapResolver(testSchemas), schema: "Deployment" };
type Doc = Record<string, unknown>;
const smp = (doc: object, patch: object): Doc => applyStrategicMergePatch(doc, patch, opts) as Doc;
/** The value at a dotted path ("spec.template.spec.containers.0"). */
function get(d: unknown, path: string): unknown {
  return path.split(".").reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], d);
}

function deployment(): Doc {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "web", labels: { app: "web", tier: "fe" }, finalizers: ["a", "b"] },
    spec: {
      replicas: 2,
      strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%" } },
      template: {
        metadata: { labels: { app: "web" } },
        spec: {
          containers: [
            { name: "app", image: "nginx:1.25", env: [{ name: "A", value: "1" }, { name: "B", value: "2" }], ports: [{ containerPort: 80 }] },
            { name: "sidecar", image: "envoy:1", args: ["--x", "--y"] },
          ],
          tolerations: [{ key: "t1" }, { key: "t2" }],
          volumes: [{ name: "data", emptyDir: {} }],
        },
      },
    },
  };
}

const containers = (d: Doc): Doc[] => get(d, "spec.template.spec.containers") as Doc[];

function fails(code: number, fn: () => unknown, msg: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof StatusError, String(e));
    assert.equal(e.code, code);
    const text = e.message + " " + (e.status.details?.causes?.map((c) => c.message).join(" ") ?? "");
    assert.match(text, msg);
    return true;
  });
}

test("kubectl set image: one container's image changes by name, order and the rest untouched", () => {
  const live = deployment();
  const before = structuredClone(live);
  const out = smp(live, { spec: { template: { spec: { containers: [{ name: "sidecar", image: "envoy:2" }] } } } });
  assert.deepEqual(containers(out).map((c) => [c.name, c.image]), [["app", "nginx:1.25"], ["sidecar", "envoy:2"]]);
  assert.deepEqual(containers(out)[0], containers(before)[0]);
  assert.deepEqual(containers(out)[1]!.args, ["--x", "--y"]);
  assert.deepEqual(live, before, "input not mutated");
});

test("env: add one var and delete another with $patch: delete", () => {
  const out = smp(deployment(), {
    spec: { template: { spec: { containers: [{ name: "app", env: [{ name: "C", value: "3" }, { name: "A", $patch: "delete" }] }] } } },
  });
  const env = containers(out)[0]!.env;
  // Kubernetes puts items the live list did not know before the remaining live items.
  assert.deepEqual(env, [{ name: "C", value: "3" }, { name: "B", value: "2" }]);
});

test("env: change a value in place keeps order", () => {
  const out = smp(deployment(), { spec: { template: { spec: { containers: [{ name: "app", env: [{ name: "B", value: "22" }] }] } } } });
  assert.deepEqual(containers(out)[0]!.env, [{ name: "A", value: "1" }, { name: "B", value: "22" }]);
});

test("$setElementOrder/containers as kubectl apply sends it", () => {
  const out = smp(deployment(), {
    spec: {
      template: {
        spec: {
          "$setElementOrder/containers": [{ name: "sidecar" }, { name: "new" }, { name: "app" }],
          containers: [{ name: "new", image: "busybox" }],
        },
      },
    },
  });
  assert.deepEqual(containers(out).map((c) => c.name), ["sidecar", "new", "app"]);
  assert.equal(containers(out)[1]!.image, "busybox");
  assert.equal(containers(out)[0]!.image, "envoy:1");
});

test("$setElementOrder with a deletion (kubectl apply removing a container)", () => {
  const out = smp(deployment(), {
    spec: { template: { spec: { "$setElementOrder/containers": [{ name: "app" }], containers: [{ name: "sidecar", $patch: "delete" }] } } },
  });
  assert.deepEqual(containers(out).map((c) => c.name), ["app"]);
});

test("$setElementOrder: live-only items keep their place; env order set", () => {
  const live = deployment();
  (get(live, "spec.template.spec.containers.0.env") as Doc[]).push({ name: "C", value: "3" });
  const out = smp(live, {
    spec: { template: { spec: { containers: [{ name: "app", "$setElementOrder/env": [{ name: "C" }, { name: "A" }] }] } } },
  });
  // Listed items take the directive's order; B (live only) stays ahead of C, as it was live.
  assert.deepEqual((containers(out)[0]!.env as Doc[]).map((e) => e.name), ["B", "C", "A"]);
});

test("$setElementOrder that disagrees with the patch list is an error", () => {
  fails(500, () => smp(deployment(), {
    spec: { template: { spec: { "$setElementOrder/containers": [{ name: "a" }, { name: "b" }], containers: [{ name: "b" }, { name: "a" }] } } },
  }), /doesn't match \$setElementOrder list/);
  fails(400, () => smp(deployment(), { spec: { "$setElementOrder/x": "nope" } }), /invalid patch format of setElementOrder list/);
  fails(400, () => smp(deployment(), { spec: { $setElementOrder: [] } }), /invalid patch format of setElementOrder list/);
});

test("labels: null removes, new keys add, other keys stay", () => {
  const out = smp(deployment(), { metadata: { labels: { tier: null, env: "prod", missing: null } } });
  assert.deepEqual(get(out, "metadata.labels"), { app: "web", env: "prod" });
});

test("maps: $patch replace and delete; replace strategy and atomic-free merge", () => {
  assert.deepEqual(get(smp(deployment(), { metadata: { labels: { $patch: "replace", only: "1" } } }), "metadata.labels"), { only: "1" });
  assert.deepEqual(get(smp(deployment(), { metadata: { labels: { $patch: "delete" } } }), "metadata.labels"), {});
  const live = deployment();
  (get(live, "spec.template.spec") as Doc).securityContext = { runAsUser: 1, runAsGroup: 2 };
  assert.deepEqual(get(smp(live, { spec: { template: { spec: { securityContext: { runAsUser: 5 } } } } }), "spec.template.spec.securityContext"), { runAsUser: 5 });
  fails(500, () => smp(deployment(), { metadata: { labels: { $patch: "merge" } } }), /unknown patch type: merge in map/);
});

test("lists: $patch replace item replaces the whole merging list", () => {
  const out = smp(deployment(), { spec: { template: { spec: { containers: [{ name: "only", image: "x" }, { $patch: "replace" }] } } } });
  assert.deepEqual(containers(out), [{ name: "only", image: "x" }]);
  fails(500, () => smp(deployment(), { spec: { template: { spec: { containers: [{ $patch: "merge" }] } } } }), /merging lists cannot yet be specified/);
});

test("lists without merge strategy are replaced; empty merge list changes nothing", () => {
  const out = smp(deployment(), { spec: { template: { spec: { tolerations: [{ key: "t3" }], containers: [] } } } });
  assert.deepEqual(get(out, "spec.template.spec.tolerations"), [{ key: "t3" }]);
  assert.equal(containers(out).length, 2);
  const args = smp(deployment(), { spec: { template: { spec: { containers: [{ name: "sidecar", args: ["--z"] }] } } } });
  assert.deepEqual(containers(args)[1]!.args, ["--z"]);
});

test("primitive merge lists: union, $deleteFromPrimitiveList", () => {
  assert.deepEqual(get(smp(deployment(), { metadata: { finalizers: ["c", "a"] } }), "metadata.finalizers"), ["c", "a", "b"]);
  assert.deepEqual(get(smp(deployment(), { metadata: { "$deleteFromPrimitiveList/finalizers": ["a"] } }), "metadata.finalizers"), ["b"]);
  assert.deepEqual(
    get(smp(deployment(), { metadata: { "$setElementOrder/finalizers": ["b", "c"], finalizers: ["c"], "$deleteFromPrimitiveList/finalizers": ["a"] } }), "metadata.finalizers"),
    ["b", "c"],
  );
  const noFinalizers = deployment();
  delete (noFinalizers.metadata as Doc).finalizers;
  assert.equal(get(smp(noFinalizers, { metadata: { "$deleteFromPrimitiveList/finalizers": ["a"] } }), "metadata.finalizers"), undefined);
  fails(400, () => smp(deployment(), { metadata: { $deleteFromPrimitiveList: ["a"] } }), /invalid patch format of primitive list/);
});

test("$retainKeys clears the other members of a union (deployment strategy)", () => {
  const out = smp(deployment(), { spec: { strategy: { $retainKeys: ["type"], type: "Recreate" } } });
  assert.deepEqual(get(out, "spec.strategy"), { type: "Recreate" });
  const vol = smp(deployment(), { spec: { template: { spec: { volumes: [{ name: "data", $retainKeys: ["configMap", "name"], configMap: { name: "cm" } }] } } } });
  assert.deepEqual(get(vol, "spec.template.spec.volumes"), [{ name: "data", configMap: { name: "cm" } }]);
  fails(400, () => smp(deployment(), { spec: { strategy: { $retainKeys: ["type"], rollingUpdate: {} } } }), /invalid patch format of retainKeys/);
  fails(400, () => smp(deployment(), { spec: { strategy: { $retainKeys: "type" } } }), /invalid patch format of retainKeys/);
});

test("values new to the object are stored without nulls or directives", () => {
  const out = smp(deployment(), {
    spec: { template: { spec: { initContainers: [{ name: "init", image: null, env: [{ name: "X", value: "1" }, { name: "Y", $patch: "delete" }] }] } } },
    metadata: { annotations: { a: "1", b: null } },
  });
  assert.deepEqual(get(out, "spec.template.spec.initContainers"), [{ name: "init", env: [{ name: "X", value: "1" }] }]);
  assert.deepEqual(get(out, "metadata.annotations"), { a: "1" });
  const appended = smp(deployment(), { spec: { template: { spec: { containers: [{ name: "new", image: "x", args: null }] } } } });
  assert.deepEqual(containers(appended)[0], { name: "new", image: "x" });
});

test("numeric merge keys (container ports)", () => {
  const out = smp(deployment(), { spec: { template: { spec: { containers: [{ name: "app", ports: [{ containerPort: 80, name: "http" }, { containerPort: 443 }] }] } } } });
  assert.deepEqual(containers(out)[0]!.ports, [{ containerPort: 80, name: "http" }, { containerPort: 443 }]);
});

test("fields without schema follow JSON merge patch", () => {
  const live = deployment();
  (live as Doc).status = { conditions: [{ type: "A" }], nested: { x: 1, y: 2 } };
  const out = smp(live, { status: { conditions: [{ type: "B" }], nested: { y: null, z: 3 } }, extra: { k: [1] } });
  assert.deepEqual(get(out, "status"), { conditions: [{ type: "B" }], nested: { x: 1, z: 3 } });
  assert.deepEqual(get(out, "extra"), { k: [1] });
});

test("type changes replace the value; scalars replace", () => {
  const out = smp(deployment(), { spec: { replicas: 5, template: { spec: { tolerations: { not: "a list" } } } } });
  assert.equal(get(out, "spec.replicas"), 5);
  assert.deepEqual(get(out, "spec.template.spec.tolerations"), { not: "a list" });
});

test("root $patch: replace replaces the object", () => {
  assert.deepEqual(smp(deployment(), { $patch: "replace", kind: "Deployment" }), { kind: "Deployment" });
});

test("errors: missing merge key, list of lists, mixed element types, non-object inputs", () => {
  fails(500, () => smp(deployment(), { spec: { template: { spec: { containers: [{ image: "x" }] } } } }), /map: map\[image:x\] does not contain declared merge key: name/);
  fails(500, () => smp(deployment(), { spec: { template: { spec: { containers: [{ image: "x", $patch: "delete" }] } } } }), /does not contain declared merge key/);
  const empty = deployment();
  (empty.metadata as Doc).finalizers = [];
  fails(422, () => smp(empty, { metadata: { finalizers: [["x"]] } }), /lists of lists are not supported/);
  fails(500, () => smp(deployment(), { metadata: { finalizers: [1] } }), /list element types are not identical/);
  fails(400, () => applyStrategicMergePatch([] as unknown as object, {}, opts), /invalid JSON document/);
});
