import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { selectorFromSet } from "../../../machinery/labels.js";
import type { TopologySpreadConstraint } from "../../framework/api_types.js";
import { CycleState, type StateData } from "../../framework/cycle_state.js";
import type { FilterPlugin, PreFilterPlugin } from "../../framework/types.js";
import { Harness } from "../../testing/harness.js";
import { NAME } from "./pod_topology_spread.js";
import { makeNode, makePod } from "../../testing/builders.js";

const ZONE = "topology.kubernetes.io/zone";
const zn = (name: string, z?: string) => makeNode(name, { labels: z ? { [ZONE]: z } : {} });
const app = { app: "web" };
const spread = (c: Partial<TopologySpreadConstraint>): TopologySpreadConstraint => ({ maxSkew: 1, topologyKey: ZONE, whenUnsatisfiable: "DoNotSchedule", labelSelector: { matchLabels: app }, ...c });

describe("PodTopologySpread filter", () => {
  // zone a: 2 web pods, zone b: 1, zone c: 0
  const nodes = [zn("a1", "a"), zn("a2", "a"), zn("b1", "b"), zn("c1", "c"), zn("nolabel")];
  const pods = [makePod("w1", { labels: app, nodeName: "a1" }), makePod("w2", { labels: app, nodeName: "a2" }), makePod("w3", { labels: app, nodeName: "b1" })];

  it("allows only domains where the skew stays within maxSkew", () => {
    const h = new Harness(nodes, pods);
    const out = h.filterAll(makePod("new", { labels: app, topologySpreadConstraints: [spread({})] }));
    assert.deepEqual(out, {
      a1: "node(s) didn't match pod topology spread constraints",
      a2: "node(s) didn't match pod topology spread constraints",
      b1: "node(s) didn't match pod topology spread constraints",
      c1: "",
      nolabel: "node(s) didn't match pod topology spread constraints (missing required label)",
    });
  });

  it("maxSkew 2 admits the zone one behind", () => {
    const h = new Harness(nodes, pods);
    const out = h.filterAll(makePod("new", { labels: app, topologySpreadConstraints: [spread({ maxSkew: 2 })] }));
    assert.equal(out.b1, "");
    assert.equal(out.a1, "node(s) didn't match pod topology spread constraints");
  });

  it("minDomains: with fewer domains than asked the global minimum counts as 0", () => {
    const h = new Harness([zn("a1", "a"), zn("b1", "b")], [makePod("w1", { labels: app, nodeName: "a1" }), makePod("w2", { labels: app, nodeName: "b1" })]);
    const pod = makePod("new", { labels: app, topologySpreadConstraints: [spread({ minDomains: 3 })] });
    assert.deepEqual(h.filterAll(pod), { a1: "node(s) didn't match pod topology spread constraints", b1: "node(s) didn't match pod topology spread constraints" });
    assert.deepEqual(h.filterAll(makePod("new", { labels: app, topologySpreadConstraints: [spread({})] })), { a1: "", b1: "" });
  });

  it("counts only nodes matching the pod's node selector (nodeAffinityPolicy Honor)", () => {
    const h = new Harness([makeNode("a1", { labels: { [ZONE]: "a", pool: "x" } }), makeNode("b1", { labels: { [ZONE]: "b", pool: "y" } })], [makePod("w1", { labels: app, nodeName: "a1" })]);
    const pod = makePod("new", { labels: app, nodeSelector: { pool: "x" }, topologySpreadConstraints: [spread({})] });
    // Zone b is outside the pod's reach, so zone a is the only domain and its skew is 0.
    assert.equal(h.filterAll(pod).a1, "");
  });
});

describe("PodTopologySpread PreFilter over the snapshot's columns", () => {
  it("counts as the plain pass over the nodes does (which a view without columns takes), for varied constraints", () => {
    const nodes = Array.from({ length: 30 }, (_, i) =>
      makeNode(`n${i}`, {
        labels: { ...(i % 7 === 6 ? {} : { [ZONE]: `z${i % 3}` }), ...(i % 4 === 0 ? { rack: `r${i % 5}` } : {}), pool: i % 2 ? "x" : "y" },
        taints: i % 5 === 0 ? [{ key: "t", effect: "NoSchedule" }] : undefined,
      }),
    );
    const pods = Array.from({ length: 60 }, (_, i) => makePod(`w${i}`, { labels: i % 3 ? app : { app: "other" }, nodeName: `n${(i * 7) % 30}`, namespace: i % 10 === 9 ? "elsewhere" : "default" }));
    const h = new Harness(nodes, pods);
    const shapes = [
      { labels: app, topologySpreadConstraints: [spread({})] },
      { labels: app, topologySpreadConstraints: [spread({ maxSkew: 2, minDomains: 4 }), spread({ topologyKey: "rack" })] },
      { labels: app, nodeSelector: { pool: "x" }, topologySpreadConstraints: [spread({})] },
      { labels: app, topologySpreadConstraints: [spread({ nodeTaintsPolicy: "Honor" }), spread({ topologyKey: "kubernetes.io/hostname", maxSkew: 3 })] },
      { labels: app, nodeSelector: { pool: "x" }, topologySpreadConstraints: [spread({ nodeAffinityPolicy: "Ignore" })] },
    ];
    const plainView = h.snapshot.withNode(h.snapshot.list()[0]!);
    assert.ok(h.snapshot.columns() && !plainView.columns());
    const pts = h.framework.pluginNames().includes(NAME) ? (h.framework as unknown as { instances: Map<string, PreFilterPlugin & FilterPlugin> }).instances.get(NAME)! : undefined;
    assert.ok(pts);
    for (const [k, shape] of shapes.entries()) {
      const pod = makePod(`new${k}`, shape);
      const fast = new CycleState(h.snapshot);
      const plain = new CycleState(plainView);
      assert.ok(pts.preFilter(fast, pod).status.isSuccess() && pts.preFilter(plain, pod).status.isSuccess());
      const counts = (st: CycleState) => (st.read<StateData & { counts: Map<string, number>[] }>(`PreFilter${NAME}`)!.counts).map((m) => Object.fromEntries([...m].sort()));
      assert.deepEqual(counts(fast), counts(plain), `shape ${k}`);
      assert.ok(counts(fast)[0]!.z0 !== undefined);
      for (const n of h.snapshot.list()) assert.deepEqual(pts.filter(fast, pod, n), pts.filter(plain, pod, n), `shape ${k} on ${n.name}`);
    }
  });
});

describe("PodTopologySpread score", () => {
  it("ScheduleAnyway prefers the emptier domain", () => {
    const h = new Harness([zn("a1", "a"), zn("b1", "b")], [makePod("w1", { labels: app, nodeName: "a1" }), makePod("w2", { labels: app, nodeName: "a1" })]);
    const pod = makePod("new", { labels: app, topologySpreadConstraints: [spread({ whenUnsatisfiable: "ScheduleAnyway" })] });
    const s = h.scoreAll(pod);
    assert.ok(s.b1! > s.a1!, JSON.stringify(s));
  });

  it("system default constraints spread pods of a service across hosts", () => {
    const nodes = [makeNode("h1"), makeNode("h2")];
    const h = new Harness(nodes, [makePod("w1", { labels: app, nodeName: "h1" }), makePod("w2", { labels: app, nodeName: "h1" })], { spreadSelectors: (p) => (selectorFromSet(app).matches(p.metadata?.labels) ? [selectorFromSet(app)] : []) });
    const s = h.scoreAll(makePod("new", { labels: app }), ["h1", "h2"]);
    assert.ok(s.h2! > s.h1!, JSON.stringify(s));
    const alone = new Harness(nodes, [makePod("w1", { labels: app, nodeName: "h1" })]);
    const s2 = alone.scoreAll(makePod("other", { labels: { app: "x" } }));
    assert.equal(s2.h1! - s2.h2!, alone.scoreAll(makePod("other2", { labels: { app: "y" } })).h1! - alone.scoreAll(makePod("other2", { labels: { app: "y" } })).h2!);
  });
});

describe("PodTopologySpread counts across cycles", () => {
  // PreFilter and PreScore remember each node's count per selector until the node's pods change: a pod placed or
  // removed between cycles must show in the next one.
  it("a pod added or removed between cycles changes the next cycle's filter and scores", () => {
    const h = new Harness([zn("a1", "a"), zn("b1", "b")], [makePod("w1", { labels: app, nodeName: "a1" })]);
    const filtered = makePod("new", { labels: app, topologySpreadConstraints: [spread({})] });
    const scored = makePod("new2", { labels: app, topologySpreadConstraints: [spread({ whenUnsatisfiable: "ScheduleAnyway", topologyKey: "kubernetes.io/hostname" })] });
    const hosts = new Harness([makeNode("a1"), makeNode("b1")], [makePod("w1", { labels: app, nodeName: "a1" })]);
    const SKEWED = "node(s) didn't match pod topology spread constraints";
    // The zone filter admits only the emptier zone, and the hostname scores prefer the emptier host.
    const expectEmptier = (emptier: "a1" | "b1", fuller: "a1" | "b1"): void => {
      assert.deepEqual(h.filterAll(filtered), { [emptier]: "", [fuller]: SKEWED });
      const s = hosts.scoreAll(scored);
      assert.ok(s[emptier]! > s[fuller]!, JSON.stringify(s));
    };
    const change = (f: (x: Harness, p: ReturnType<typeof makePod>) => void): void => {
      for (const x of [h, hosts]) {
        for (const p of added) f(x, p);
        x.cache.updateSnapshot(x.snapshot);
      }
    };
    const added = [makePod("w2", { labels: app, nodeName: "b1" }), makePod("w3", { labels: app, nodeName: "b1" })];

    expectEmptier("b1", "a1"); // a: 1, b: 0 matching pods
    change((x, p) => x.cache.addPod(p));
    expectEmptier("a1", "b1"); // a: 1, b: 2
    change((x, p) => x.cache.removePod(p));
    expectEmptier("b1", "a1"); // a: 1, b: 0 again
  });
});
