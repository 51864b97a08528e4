import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fitErrorMessage } from "./fit_error.js";
import { Status } from "./status.js";

describe("FitError message", () => {
  it("counts reasons per node and sorts them as strings, as Kubernetes does", () => {
    const nodeToStatus = new Map([
      ["a", Status.unschedulable("Insufficient cpu", "Insufficient memory")],
      ["b", Status.unschedulable("Insufficient cpu")],
      ["c", Status.unresolvable("node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }")],
    ]);
    const msg = fitErrorMessage(3, { nodeToStatus, unschedulablePlugins: new Set(), postFilterMsg: "preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod." });
    assert.equal(
      msg,
      "0/3 nodes are available: 1 Insufficient memory, 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.",
    );
  });

  it("shows a PreFilter rejection once instead of per node", () => {
    const s = Status.unresolvable("node(s) didn't match pod affinity rules");
    const msg = fitErrorMessage(2, { nodeToStatus: new Map([["a", s], ["b", s]]), unschedulablePlugins: new Set(), preFilterMsg: s.message() });
    assert.equal(msg, "0/2 nodes are available: node(s) didn't match pod affinity rules.");
  });
});
