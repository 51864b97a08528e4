import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { PodAffinityTerm } from "../../framework/api_types.js";
import { Harness } from "../../testing/harness.js";
import { makeNode, makePod } from "../../testing/builders.js";

const zone = (name: string, z: string) => makeNode(name, { labels: { "topology.kubernetes.io/zone": z } });
const term = (labels: Record<string, string>, topologyKey: string, extra: Partial<PodAffinityTerm> = {}): PodAffinityTerm => ({ labelSelector: { matchLabels: labels }, topologyKey, ...extra });
const ZONE = "topology.kubernetes.io/zone";
const HOST = "kubernetes.io/hostname";

describe("InterPodAffinity filter", () => {
  const nodes = [zone("a1", "a"), zone("a2", "a"), zone("b1", "b")];
  const existing = [makePod("db", { labels: { app: "db" }, nodeName: "a1" })];

  it("required affinity: only nodes in the zone of a matching pod", () => {
    const h = new Harness(nodes, existing);
    const pod = makePod("web", { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: "db" }, ZONE)] } } });
    assert.deepEqual(h.filterAll(pod), { a1: "", a2: "", b1: "node(s) didn't match pod affinity rules" });
  });

  it("required affinity to itself lets the first pod of a group go anywhere", () => {
    const h = new Harness(nodes);
    const pod = makePod("first", { labels: { app: "cache" }, affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: "cache" }, ZONE)] } } });
    assert.deepEqual(h.filterAll(pod), { a1: "", a2: "", b1: "" });
  });

  it("required anti-affinity: not in a topology domain holding a matching pod", () => {
    const h = new Harness(nodes, existing);
    const pod = makePod("db-2", { labels: { app: "db" }, affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: "db" }, HOST)] } } });
    assert.deepEqual(h.filterAll(pod), { a1: "node(s) didn't match pod anti-affinity rules", a2: "", b1: "" });
  });

  it("existing pods' anti-affinity keeps matching pods out of their zone", () => {
    const loner = makePod("loner", { labels: { app: "loner" }, nodeName: "b1", affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: "noisy" }, ZONE)] } } });
    const h = new Harness(nodes, [loner]);
    assert.deepEqual(h.filterAll(makePod("noisy", { labels: { app: "noisy" } })), { a1: "", a2: "", b1: "node(s) didn't satisfy existing pods anti-affinity rules" });
    assert.deepEqual(h.filterAll(makePod("quiet", { labels: { app: "quiet" } })), { a1: "", a2: "", b1: "" });
  });

  it("terms look in the pod's own namespace unless namespaces or a namespaceSelector say otherwise", () => {
    const other = [makePod("db", { namespace: "prod", labels: { app: "db" }, nodeName: "b1" })];
    const h = new Harness(nodes, other, { namespaces: { prod: { env: "prod" }, default: {} } });
    const own = makePod("web", { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: "db" }, ZONE)] } } });
    assert.deepEqual(Object.values(h.filterAll(own)), ["node(s) didn't match pod affinity rules", "node(s) didn't match pod affinity rules", "node(s) didn't match pod affinity rules"]);
    const named = makePod("web", { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: "db" }, ZONE, { namespaces: ["prod"] })] } } });
    assert.deepEqual(h.filterAll(named), { a1: "node(s) didn't match pod affinity rules", a2: "node(s) didn't match pod affinity rules", b1: "" });
    const selected = makePod("web", { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: "db" }, ZONE, { namespaceSelector: { matchLabels: { env: "prod" } } })] } } });
    assert.equal(h.filterAll(selected).b1, "");
  });
});

describe("InterPodAffinity score", () => {
  it("prefers zones with preferred-affinity matches and avoids anti-affinity matches", () => {
    const h = new Harness([zone("a1", "a"), zone("b1", "b"), zone("c1", "c")], [makePod("db", { labels: { app: "db" }, nodeName: "a1" }), makePod("batch", { labels: { app: "batch" }, nodeName: "b1" })]);
    const pod = makePod("web", {
      affinity: {
        podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 50, podAffinityTerm: term({ app: "db" }, ZONE) }] },
        podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 50, podAffinityTerm: term({ app: "batch" }, ZONE) }] },
      },
    });
    const scores = h.scoreAll(pod);
    assert.ok(scores.a1! > scores.c1! && scores.c1! > scores.b1!, JSON.stringify(scores));
  });
});
