import { test } from "node:test";
import assert from "node:assert/strict";
import type { Pod } from "kubernetes-types/core/v1.js";
import { pods } from "./pods.js";
import { buildFilter } from "../selectors.js";
import { created, fields, updated } from "./testing.js";

const basic = (containers: Record<string, unknown>[]) => ({ apiVersion: "v1", kind: "Pod", metadata: { name: "p", namespace: "default" }, spec: { containers } });

test("pod defaults are Kubernetes' defaults", () => {
  const { obj, errs } = created(pods, basic([{ name: "web", image: "nginx", ports: [{ containerPort: 80 }], readinessProbe: { httpGet: { port: 80 } } }, { name: "side", image: "busybox:1.36" }]));
  assert.deepEqual(errs, []);
  const p = obj as unknown as Pod;
  assert.equal(p.spec!.restartPolicy, "Always");
  assert.equal(p.spec!.dnsPolicy, "ClusterFirst");
  assert.equal(p.spec!.schedulerName, "default-scheduler");
  assert.equal(p.spec!.terminationGracePeriodSeconds, 30);
  assert.deepEqual(p.spec!.securityContext, {});
  assert.equal(p.spec!.enableServiceLinks, true);
  assert.equal(p.spec!.priority, 0);
  assert.equal(p.spec!.preemptionPolicy, "PreemptLowerPriority");
  const [web, side] = p.spec!.containers;
  assert.equal(web!.imagePullPolicy, "Always");
  assert.equal(side!.imagePullPolicy, "IfNotPresent");
  assert.equal(web!.terminationMessagePath, "/dev/termination-log");
  assert.equal(web!.terminationMessagePolicy, "File");
  assert.equal(web!.ports![0]!.protocol, "TCP");
  assert.deepEqual(web!.readinessProbe, { httpGet: { port: 80, path: "/", scheme: "HTTP" }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 });
  assert.deepEqual(p.status, { phase: "Pending", qosClass: "BestEffort" });
});

test("pod with two containers of the same name is invalid at spec.containers[1].name", () => {
  const { errs } = created(pods, basic([{ name: "a", image: "x" }, { name: "a", image: "y" }]));
  assert.deepEqual(fields(errs), ["FieldValueDuplicate:spec.containers[1].name"]);
});

test("pod validation names the bad fields", () => {
  assert.deepEqual(fields(created(pods, basic([])).errs), ["FieldValueRequired:spec.containers"]);
  assert.deepEqual(fields(created(pods, basic([{ name: "a" }])).errs), ["FieldValueRequired:spec.containers[0].image"]);
  assert.deepEqual(fields(created(pods, basic([{ name: "Bad_Name", image: "x" }])).errs), ["FieldValueInvalid:spec.containers[0].name"]);
  assert.deepEqual(fields(created(pods, basic([{ name: "a", image: "x", ports: [{ containerPort: 70000 }] }])).errs), ["FieldValueInvalid:spec.containers[0].ports[0].containerPort"]);
  const bad = basic([{ name: "a", image: "x", volumeMounts: [{ name: "nope", mountPath: "/d" }] }]);
  assert.deepEqual(fields(created(pods, bad).errs), ["FieldValueInvalid:spec.containers[0].volumeMounts[0].name"]);
  const policy = { ...basic([{ name: "a", image: "x" }]), spec: { restartPolicy: "Sometimes", containers: [{ name: "a", image: "x" }] } };
  assert.deepEqual(fields(created(pods, policy).errs), ["FieldValueNotSupported:spec.restartPolicy"]);
  const res = basic([{ name: "a", image: "x", resources: { requests: { cpu: "2" }, limits: { cpu: "1" } } }]);
  assert.deepEqual(fields(created(pods, res).errs), ["FieldValueInvalid:spec.containers[0].resources.requests[cpu]"]);
});

test("two containers may not claim the same host port", () => {
  const { errs } = created(pods, basic([{ name: "a", image: "x", ports: [{ containerPort: 80, hostPort: 8080 }] }, { name: "b", image: "y", ports: [{ containerPort: 81, hostPort: 8080 }] }]));
  assert.deepEqual(fields(errs), ["FieldValueDuplicate:spec.containers[1].ports[0].hostPort"]);
});

test("volumes are defaulted and checked", () => {
  const spec = { containers: [{ name: "a", image: "x", volumeMounts: [{ name: "cfg", mountPath: "/etc/cfg" }] }], volumes: [{ name: "cfg", configMap: { name: "c" } }, { name: "scratch" }] };
  const { obj, errs } = created(pods, { ...basic([]), spec });
  assert.deepEqual(errs, []);
  const vols = (obj as unknown as Pod).spec!.volumes!;
  assert.equal(vols[0]!.configMap!.defaultMode, 0o644);
  assert.deepEqual(vols[1]!.emptyDir, {});
  const dup = { containers: [{ name: "a", image: "x" }], volumes: [{ name: "v", emptyDir: {} }, { name: "v", emptyDir: {} }] };
  assert.deepEqual(fields(created(pods, { ...basic([]), spec: dup }).errs), ["FieldValueDuplicate:spec.volumes[1].name"]);
  const two = { containers: [{ name: "a", image: "x" }], volumes: [{ name: "v", emptyDir: {}, hostPath: { path: "/tmp" } }] };
  assert.deepEqual(fields(created(pods, { ...basic([]), spec: two }).errs), ["FieldValueForbidden:spec.volumes[0].emptyDir"]);
});

test("requests default to limits and make a Guaranteed pod", () => {
  const { obj } = created(pods, basic([{ name: "a", image: "x", resources: { limits: { cpu: "500m", memory: "128Mi" } } }]));
  const p = obj as unknown as Pod;
  assert.deepEqual(p.spec!.containers[0]!.resources!.requests, { cpu: "500m", memory: "128Mi" });
  assert.equal(p.status!.qosClass, "Guaranteed");
});

test("pod updates may change images but not other spec fields", () => {
  const { obj: old } = created(pods, basic([{ name: "a", image: "x:1" }]));
  const img = structuredClone(old) as unknown as Pod;
  img.spec!.containers[0]!.image = "x:2";
  assert.deepEqual(updated(pods, img as never, old).errs, []);
  const env = structuredClone(old) as unknown as Pod;
  env.spec!.containers[0]!.env = [{ name: "A", value: "1" }];
  assert.deepEqual(fields(updated(pods, env as never, old).errs), ["FieldValueForbidden:spec"]);
  const added = structuredClone(old) as unknown as Pod;
  added.spec!.containers.push({ name: "b", image: "y" });
  assert.deepEqual(fields(updated(pods, added as never, old).errs), ["FieldValueForbidden:spec.containers"]);
});

test("main updates keep status; status updates keep spec", () => {
  const { obj: old } = created(pods, basic([{ name: "a", image: "x" }]));
  const next = structuredClone(old);
  next.status = { phase: "Running" };
  assert.equal((updated(pods, next, old).obj.status as { phase: string }).phase, "Pending");
  const st = structuredClone(old);
  st.status = { phase: "Running" };
  (st.spec as { nodeName?: string }).nodeName = "n1";
  st.metadata.labels = { x: "y" };
  pods.strategy.prepareForStatusUpdate!(st, old, { now: new Date() });
  assert.equal((st.status as { phase: string }).phase, "Running");
  assert.equal((st.spec as { nodeName?: string }).nodeName, undefined);
  assert.equal(st.metadata.labels, undefined);
});

test("pod field selectors and graceful deletion", () => {
  const { obj } = created(pods, { ...basic([{ name: "a", image: "x" }]), spec: { nodeName: "n1", terminationGracePeriodSeconds: 5, containers: [{ name: "a", image: "x" }] } });
  const selects = (fieldSelector: string) => buildFilter(pods, { fieldSelector }).matches(obj);
  assert.ok(selects("spec.nodeName=n1,status.phase=Pending,spec.restartPolicy=Always,spec.hostNetwork=false"));
  assert.ok(selects("spec.nodeName!=n2,status.podIP=,status.nominatedNodeName="));
  assert.ok(!selects("spec.nodeName=n2"));
  assert.ok(!selects("status.phase!=Pending"));
  assert.throws(() => selects("spec.nodename=n1"), /field label not supported: spec.nodename/);
  assert.equal(pods.defaultGracePeriodSeconds!(obj), 5);
});

test("builtin priority classes set a pod's priority", () => {
  const { obj } = created(pods, { ...basic([]), spec: { priorityClassName: "system-node-critical", containers: [{ name: "a", image: "x" }] } });
  assert.equal((obj as unknown as Pod).spec!.priority, 2000001000);
});
