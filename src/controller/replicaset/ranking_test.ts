import { test } from "node:test";
import assert from "node:assert/strict";
import { podsToDelete, POD_DELETION_COST_ANNOTATION } from "./ranking.js";
import { newPod } from "./testing.js";

const names = (pods: { metadata?: { name?: string } }[]): string[] => pods.map((p) => p.metadata!.name!);
const t0 = Date.UTC(2025, 0, 1);

test("deletion order: unassigned, Pending, Unknown, Running; not ready before ready; restarts; newest", () => {
  const pods = [
    newPod("running-ready-old", { nodeName: "a", ready: true, readySince: t0, created: t0 }),
    newPod("running-ready-newer", { nodeName: "b", ready: true, readySince: t0 + 5000, created: t0 }),
    newPod("running-unready", { nodeName: "c", ready: false, created: t0 }),
    newPod("running-unready-restarts", { nodeName: "d", ready: false, restarts: 3, created: t0 }),
    newPod("running-unready-newest", { nodeName: "e", ready: false, created: t0 + 9000 }),
    newPod("unknown", { nodeName: "f", phase: "Unknown" }),
    newPod("pending", { nodeName: "g", phase: "Pending" }),
    newPod("unassigned", { phase: "Pending" }),
  ];
  assert.deepEqual(names(podsToDelete(pods, pods, 7)), [
    "unassigned",
    "pending",
    "unknown",
    "running-unready-restarts",
    "running-unready-newest",
    "running-unready",
    "running-ready-newer",
  ]);
});

test("a lower pod-deletion-cost goes first, and pods doubled up on a node go before lone ones", () => {
  const cheap = newPod("cheap", { nodeName: "a", ready: true });
  cheap.metadata!.annotations = { [POD_DELETION_COST_ANNOTATION]: "-10" };
  const lone = newPod("lone", { nodeName: "a", ready: true });
  const crowded = newPod("crowded", { nodeName: "b", ready: true });
  const sibling = newPod("sibling-of-other-rs", { nodeName: "b", ready: true });
  assert.deepEqual(names(podsToDelete([lone, crowded, cheap], [lone, crowded, sibling], 2)), ["cheap", "crowded"]);
});

test("asking for more than there are returns them all", () => {
  const pods = [newPod("a"), newPod("b")];
  assert.equal(podsToDelete(pods, pods, 5).length, 2);
});
