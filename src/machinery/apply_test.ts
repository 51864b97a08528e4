import { test } from "node:test";
import assert from "node:assert/strict";
import type { KubeObject } from "../api/object.js";
import { applyConflictError, serverSideApply, updateManagedFieldsForUpdate, type ApplyOptions } from "./apply.js";
import { StatusError } from "./errors.js";
import { mapResolver } from "./openapi_schema.js";
import { testSchemas } from "./testing_schemas.js";

type Doc = Record<string, unknown>;
const resolver = mapResolver(testSchemas);
const T0 = new Date("2024-05-01T10:00:00Z");
const T1 = new Date("2024-05-01T11:00:00Z");
const T2 = new Date("2024-05-01T12:00:00Z");
const nginx = 'k:{"name":"nginx"}';
const port80 = 'k:{"containerPort":80,"protocol":"TCP"}';

function get(d: unknown, path: string): unknown {
  return path.split(".").reduce<unknown>((v, k) => (v as Doc | undefined)?.[k], d);
}

function opts(manager: string, now: Date, extra: Partial<ApplyOptions> = {}): ApplyOptions {
  return { manager, force: false, resolver, schema: "Deployment", now, ...extra };
}

function config(over: { replicas?: number; image?: string; labels?: Record<string, string>; containers?: Doc[] } = {}): Doc {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "web", labels: over.labels ?? { app: "web" } },
    spec: {
      replicas: over.replicas ?? 2,
      selector: { matchLabels: { app: "web" } },
      template: {
        metadata: { labels: { app: "web" } },
        spec: { containers: over.containers ?? [{ name: "nginx", image: over.image ?? "nginx:1.25", ports: [{ containerPort: 80 }] }] },
      },
    },
  };
}

const apply = (live: object | undefined, cfg: Doc, o: ApplyOptions) => serverSideApply(live, cfg, o);
const entries = (o: KubeObject) => o.metadata?.managedFields ?? [];

test("create by apply: the object as applied, one Apply entry with Kubernetes' FieldsV1", () => {
  const { object, conflicts } = apply(undefined, config(), opts("kubectl", T0));
  assert.deepEqual(conflicts, []);
  assert.equal(get(object, "spec.replicas"), 2);
  assert.equal(get(object, "metadata.name"), "web");
  assert.deepEqual(entries(object), [
    {
      manager: "kubectl",
      operation: "Apply",
      apiVersion: "apps/v1",
      time: "2024-05-01T10:00:00Z",
      fieldsType: "FieldsV1",
      fieldsV1: {
        "f:metadata": { "f:labels": { "f:app": {} } },
        "f:spec": {
          "f:replicas": {},
          "f:selector": {},
          "f:template": {
            "f:metadata": { "f:labels": { "f:app": {} } },
            "f:spec": {
              "f:containers": {
                [nginx]: { ".": {}, "f:image": {}, "f:name": {}, "f:ports": { [port80]: { ".": {}, "f:containerPort": {} } } },
              },
            },
          },
        },
      },
    },
  ]);
});

test("re-applying the same configuration changes nothing, not even the time", () => {
  const first = apply(undefined, config(), opts("kubectl", T0)).object;
  const again = apply(first, config(), opts("kubectl", T1)).object;
  assert.deepEqual(again, first);
});

test("apply changes a value it owns; time moves", () => {
  const first = apply(undefined, config(), opts("kubectl", T0)).object;
  const { object, conflicts } = apply(first, config({ image: "nginx:1.26" }), opts("kubectl", T1));
  assert.deepEqual(conflicts, []);
  assert.equal(get(object, "spec.template.spec.containers.0.image"), "nginx:1.26");
  assert.equal(entries(object)[0]!.time, "2024-05-01T11:00:00Z");
});

test("a field another manager changed is a conflict; force takes it over", () => {
  const created = apply(undefined, config(), opts("kubectl", T0)).object;
  // kubectl scale: an Update through the scale subresource.
  const scaled = structuredClone(created);
  (scaled.spec as Doc).replicas = 5;
  const afterScale = updateManagedFieldsForUpdate(created, scaled, { manager: "kubectl", resolver, schema: "Deployment", now: T1, subresource: "scale" });
  assert.deepEqual(
    entries(afterScale).map((e) => [e.manager, e.operation, e.subresource]),
    [["kubectl", "Apply", undefined], ["kubectl", "Update", "scale"]],
  );
  assert.equal((get(entries(afterScale)[0], "fieldsV1.f:spec") as Doc)["f:replicas"], undefined, "ownership moved to the updater");

  const res = apply(afterScale, config({ replicas: 3 }), opts("kubectl", T2));
  assert.deepEqual(res.conflicts, [{ manager: "kubectl", field: ".spec.replicas", operation: "Update", apiVersion: "apps/v1", subresource: "scale" }]);
  assert.deepEqual(res.object, afterScale, "nothing changes on conflict");
  const err = applyConflictError(res.conflicts);
  assert.equal(err.code, 409);
  assert.equal(err.reason, "Conflict");
  assert.equal(err.message, 'Apply failed with 1 conflict: conflict with "kubectl" with subresource "scale" using apps/v1: .spec.replicas');
  assert.deepEqual(err.status.details?.causes, [{ reason: "FieldManagerConflict", message: 'conflict with "kubectl" with subresource "scale" using apps/v1', field: ".spec.replicas" }]);

  const forced = apply(afterScale, config({ replicas: 3 }), opts("kubectl", T2, { force: true }));
  assert.deepEqual(forced.conflicts, []);
  assert.equal(get(forced.object, "spec.replicas"), 3);
  assert.deepEqual(entries(forced.object).map((e) => e.operation), ["Apply"], "the updater lost its only field");
});

test("applying the value another manager set is shared ownership, not a conflict", () => {
  const created = apply(undefined, config(), opts("alice", T0)).object;
  const res = apply(created, config(), opts("bob", T1));
  assert.deepEqual(res.conflicts, []);
  const byManager = Object.fromEntries(entries(res.object).map((e) => [e.manager, e.fieldsV1]));
  assert.deepEqual(byManager.alice, byManager.bob);
  const bobChanges = apply(res.object, config({ image: "nginx:2" }), opts("bob", T2));
  assert.deepEqual(bobChanges.conflicts.map((c) => [c.manager, c.field]), [["alice", '.spec.template.spec.containers[name="nginx"].image']]);
});

test("several conflicts are grouped by manager in the message", () => {
  const err = applyConflictError([
    { manager: "b", field: ".spec.replicas", operation: "Apply", apiVersion: "apps/v1" },
    { manager: "a", field: ".spec.x", operation: "Update", apiVersion: "apps/v1" },
    { manager: "b", field: ".spec.y", operation: "Apply", apiVersion: "apps/v1" },
  ]);
  assert.equal(err.message, 'Apply failed with 3 conflicts: conflicts with "a" using apps/v1:\n- .spec.x\nconflicts with "b":\n- .spec.replicas\n- .spec.y');
});

test("fields the applier no longer applies are removed, unless someone else owns them", () => {
  const first = apply(undefined, config({ labels: { app: "web", tier: "fe", team: "x" } }), opts("kubectl", T0)).object;
  // Someone else also sets team (same value): shared ownership.
  const shared = apply(first, { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "web", labels: { team: "x" } } }, opts("other", T1)).object;
  const next = apply(shared, config({ labels: { app: "web" } }), opts("kubectl", T2)).object;
  assert.deepEqual(get(next, "metadata.labels"), { app: "web", team: "x" });
});

test("dropping a container from the configuration deletes it; items stay in place", () => {
  const two = config({ containers: [{ name: "nginx", image: "nginx" }, { name: "sidecar", image: "envoy" }] });
  const first = apply(undefined, two, opts("kubectl", T0)).object;
  const next = apply(first, config({ containers: [{ name: "nginx", image: "nginx" }] }), opts("kubectl", T1)).object;
  assert.deepEqual((get(next, "spec.template.spec.containers") as Doc[]).map((c) => c.name), ["nginx"]);
  const fields = get(entries(next)[0], "fieldsV1.f:spec.f:template.f:spec.f:containers") as Doc;
  assert.deepEqual(Object.keys(fields), [nginx]);
});

test("list items merge by key: live-only items keep their place, new ones follow", () => {
  const created = apply(undefined, config(), opts("kubectl", T0)).object;
  const withB = structuredClone(created);
  (get(withB, "spec.template.spec.containers") as Doc[]).push({ name: "b", image: "busybox" });
  const updated = updateManagedFieldsForUpdate(created, withB, { manager: "injector", resolver, schema: "Deployment", now: T1 });
  const res = apply(updated, config({ containers: [{ name: "nginx", image: "nginx:1.25", ports: [{ containerPort: 80 }] }, { name: "c", image: "c" }] }), opts("kubectl", T2));
  assert.deepEqual((get(res.object, "spec.template.spec.containers") as Doc[]).map((c) => c.name), ["nginx", "b", "c"]);
  assert.equal((get(res.object, "spec.template.spec.containers") as Doc[])[0]!.ports !== undefined, true, "merged, not replaced");
});

test("atomic values (selector, args) are replaced whole; maps merge", () => {
  const first = apply(undefined, config({ containers: [{ name: "nginx", image: "x", args: ["a", "b"] }] }), opts("kubectl", T0)).object;
  const next = apply(first, config({ containers: [{ name: "nginx", image: "x", args: ["c"] }] }), opts("kubectl", T1)).object;
  assert.deepEqual((get(next, "spec.template.spec.containers") as Doc[])[0]!.args, ["c"]);
  const fields = get(entries(next)[0], "fieldsV1.f:spec.f:template.f:spec.f:containers") as Doc;
  assert.deepEqual((fields[nginx] as Doc)["f:args"], {});
});

test("set lists (finalizers) merge as a union and are owned per value", () => {
  const cfg = (fins: string[]) => ({ apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "web", finalizers: fins } });
  const a = apply(undefined, cfg(["x"]), opts("a", T0)).object;
  const b = apply(a, cfg(["y"]), opts("b", T1)).object;
  assert.deepEqual(get(b, "metadata.finalizers"), ["x", "y"]);
  const bFields = entries(b).find((e) => e.manager === "b")!.fieldsV1;
  assert.deepEqual(bFields, { "f:metadata": { "f:finalizers": { 'v:"y"': {} } } });
  const aDrops = apply(b, cfg([]), opts("a", T2)).object;
  assert.deepEqual(get(aDrops, "metadata.finalizers"), ["y"]);
});

test("managedFields in the applied configuration is refused; ignored fields are not applied", () => {
  assert.throws(
    () => apply(undefined, { ...config(), metadata: { name: "web", managedFields: [{ manager: "x" }] } }, opts("kubectl", T0)),
    (e: unknown) => e instanceof StatusError && e.code === 400 && /metadata.managedFields must be nil/.test(e.message),
  );
  const res = apply(undefined, { ...config(), status: { replicas: 9 } }, opts("kubectl", T0, { ignoredFields: ["status"] }));
  assert.equal(get(res.object, "status"), undefined);
  assert.equal(get(entries(res.object)[0], "fieldsV1.f:status"), undefined);
});

test("updateManagedFieldsForUpdate on create: the creator owns everything it set", () => {
  const obj = config({ containers: [{ name: "nginx", image: "nginx", env: [{ name: "A", value: "1" }], securityContext: {} }] });
  const out = updateManagedFieldsForUpdate(undefined, obj, { manager: "kubectl-create", resolver, schema: "Deployment", now: T0 });
  assert.deepEqual(entries(out), [
    {
      manager: "kubectl-create",
      operation: "Update",
      apiVersion: "apps/v1",
      time: "2024-05-01T10:00:00Z",
      fieldsType: "FieldsV1",
      fieldsV1: {
        "f:metadata": { "f:labels": { ".": {}, "f:app": {} } },
        "f:spec": {
          "f:replicas": {},
          "f:selector": {},
          "f:template": {
            "f:metadata": { "f:labels": { ".": {}, "f:app": {} } },
            "f:spec": {
              "f:containers": {
                // Inside a new item nothing pre-exists: even an empty struct is owned ("f:securityContext": {}).
                [nginx]: { ".": {}, "f:env": { ".": {}, 'k:{"name":"A"}': { ".": {}, "f:name": {}, "f:value": {} } }, "f:image": {}, "f:name": {}, "f:securityContext": {} },
              },
            },
          },
        },
      },
    },
  ]);
});

test("updateManagedFieldsForUpdate: changed fields move to the writer, removed fields leave every set", () => {
  const created = apply(undefined, config({ labels: { app: "web", tier: "fe" } }), opts("kubectl", T0)).object;
  const edited = structuredClone(created);
  const labels = get(edited, "metadata.labels") as Doc;
  delete labels.tier;
  (get(edited, "spec.template.spec.containers.0") as Doc).image = "nginx:edited";
  const out = updateManagedFieldsForUpdate(created, edited, { manager: "kubectl-edit", resolver, schema: "Deployment", now: T1 });
  const byManager = Object.fromEntries(entries(out).map((e) => [e.manager, e]));
  assert.deepEqual(byManager["kubectl-edit"]!.fieldsV1, { "f:spec": { "f:template": { "f:spec": { "f:containers": { [nginx]: { "f:image": {} } } } } } });
  assert.equal(byManager["kubectl-edit"]!.time, "2024-05-01T11:00:00Z");
  const applier = byManager.kubectl!.fieldsV1 as Doc;
  assert.deepEqual(get(applier, "f:metadata.f:labels"), { "f:app": {} });
  assert.equal((get(applier, `f:spec.f:template.f:spec.f:containers`) as Doc)[nginx] !== undefined, true);
  assert.equal(get(applier, `f:spec.f:template.f:spec.f:containers.${nginx}.f:image`), undefined);
  assert.equal(byManager.kubectl!.time, "2024-05-01T10:00:00Z", "losing fields does not touch the time");
  // A no-op update adds no entry.
  const noop = updateManagedFieldsForUpdate(out, structuredClone(out), { manager: "someone", resolver, schema: "Deployment", now: T2 });
  assert.deepEqual(entries(noop), entries(out));
});

test("updateManagedFieldsForUpdate: a client that clears managedFields resets ownership", () => {
  const created = apply(undefined, config(), opts("kubectl", T0)).object;
  const cleared = structuredClone(created);
  cleared.metadata!.managedFields = [];
  const out = updateManagedFieldsForUpdate(created, cleared, { manager: "x", resolver, schema: "Deployment", now: T1 });
  assert.equal(out.metadata?.managedFields, undefined);
});

test("stored lists with repeated keys never break a write; applied ones are refused", () => {
  const dup = config({ containers: [{ name: "nginx", image: "x", env: [{ name: "A", value: "1" }, { name: "A", value: "2" }] }] });
  const created = updateManagedFieldsForUpdate(undefined, dup, { manager: "kubectl-create", resolver, schema: "Deployment", now: T0 });
  const envFields = get(entries(created)[0], `fieldsV1.f:spec.f:template.f:spec.f:containers.${nginx}.f:env`);
  assert.deepEqual(envFields, {}, "tracked as one value");
  const edited = structuredClone(created);
  (get(edited, "spec.template.spec.containers.0.env") as Doc[])[1]!.value = "3";
  assert.doesNotThrow(() => updateManagedFieldsForUpdate(created, edited, { manager: "kubectl-edit", resolver, schema: "Deployment", now: T1 }));
  const res = apply(created, config({ image: "y" }), opts("kubectl", T1));
  assert.deepEqual(res.conflicts.map((c) => c.field), ['.spec.template.spec.containers[name="nginx"].image']);
  assert.throws(
    () => apply(undefined, config({ containers: [{ name: "a" }, { name: "a" }] }), opts("kubectl", T0)),
    (e: unknown) => e instanceof StatusError && e.code === 400 && /duplicate entries for key \{"name":"a"\}/.test(e.message),
  );
});

test("first apply to an untracked object: its fields belong to before-first-apply", () => {
  const untracked = config({ replicas: 4 });
  const same = apply(untracked, config({ replicas: 4 }), opts("kubectl", T0));
  assert.deepEqual(same.conflicts, []);
  assert.deepEqual(entries(same.object).map((e) => [e.manager, e.operation]), [["kubectl", "Apply"], ["before-first-apply", "Update"]]);
  const changed = apply(untracked, config({ replicas: 1 }), opts("kubectl", T0));
  assert.deepEqual(changed.conflicts.map((c) => [c.manager, c.field]), [["before-first-apply", ".spec.replicas"]]);
  assert.equal(applyConflictError(changed.conflicts).message, 'Apply failed with 1 conflict: conflict with "before-first-apply" using apps/v1: .spec.replicas');
});

test("more than ten Update managers: the oldest fold into ancient-changes", () => {
  let obj = apply(undefined, config(), opts("kubectl", T0)).object;
  for (let i = 0; i < 12; i++) {
    const next = structuredClone(obj);
    (next.metadata!.labels as Record<string, string>)[`l${i}`] = "x";
    obj = updateManagedFieldsForUpdate(obj, next, { manager: `m${i}`, resolver, schema: "Deployment", now: new Date(T1.getTime() + i * 1000) });
  }
  const updaters = entries(obj).filter((e) => e.operation === "Update");
  assert.equal(updaters.length, 10);
  const ancient = updaters.find((e) => e.manager === "ancient-changes")!;
  assert.deepEqual(Object.keys(get(ancient, "fieldsV1.f:metadata.f:labels") as Doc).sort(), ["f:l0", "f:l1", "f:l2"]);
  assert.equal(ancient.time, "2024-05-01T11:00:02Z", "the newest folded entry's time");
  assert.deepEqual(updaters.map((e) => e.manager).filter((m) => m !== "ancient-changes"), ["m3", "m4", "m5", "m6", "m7", "m8", "m9", "m10", "m11"]);
});

test("a port applied without protocol matches the stored, defaulted TCP port", () => {
  const created = apply(undefined, config(), opts("kubectl", T0)).object;
  const defaulted = structuredClone(created);
  (get(defaulted, "spec.template.spec.containers.0.ports.0") as Doc).protocol = "TCP";
  const again = apply(defaulted, config({ image: "nginx:2" }), opts("kubectl", T1)).object;
  assert.deepEqual(get(again, "spec.template.spec.containers.0.ports"), [{ containerPort: 80, protocol: "TCP" }]);
});

test("status subresource: a separate entry for the same manager; ignored fields untouched", () => {
  const created = apply(undefined, config(), opts("ctrl", T0)).object;
  const statusCfg = { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "web" }, spec: { replicas: 100 }, status: { replicas: 2 } };
  const res = apply(created, statusCfg, opts("ctrl", T1, { subresource: "status", ignoredFields: ["spec"] }));
  assert.deepEqual(res.conflicts, []);
  assert.equal(get(res.object, "status.replicas"), 2);
  assert.equal(get(res.object, "spec.replicas"), 2, "spec is not changed through status");
  assert.deepEqual(entries(res.object).map((e) => [e.manager, e.subresource ?? ""]), [["ctrl", ""], ["ctrl", "status"]]);
  assert.deepEqual(entries(res.object)[1]!.fieldsV1, { "f:status": { "f:replicas": {} } });
});
