import { test } from "node:test";
import assert from "node:assert/strict";
import type { KubeObject } from "../../api/object.js";
import { REVISION_ANNOTATION, REVISION_HISTORY_ANNOTATION, setNewReplicaSetAnnotations, setReplicasAnnotations } from "./annotations.js";

const d = {
  metadata: {
    annotations: {
      "kubernetes.io/change-cause": "kubectl set image deployment/web app=B",
      "kubectl.kubernetes.io/last-applied-configuration": "{}",
      [REVISION_ANNOTATION]: "7",
      "deployment.kubernetes.io/desired-replicas": "99",
    },
  },
};

test("a new ReplicaSet gets the Deployment's annotations except its own bookkeeping, plus revision and sizes", () => {
  const rs = setNewReplicaSetAnnotations(d, { metadata: { name: "web-x" } } as KubeObject, { revision: 3, exists: false, desiredReplicas: 4, maxReplicas: 5 });
  assert.deepEqual(rs.metadata?.annotations, {
    "kubernetes.io/change-cause": "kubectl set image deployment/web app=B",
    [REVISION_ANNOTATION]: "3",
    "deployment.kubernetes.io/desired-replicas": "4",
    "deployment.kubernetes.io/max-replicas": "5",
  });
});

test("reusing an old ReplicaSet moves its revision forward and remembers the old ones; nothing to do returns the same object", () => {
  let rs: KubeObject = { metadata: { name: "web-a", annotations: { [REVISION_ANNOTATION]: "1" } } };
  rs = setNewReplicaSetAnnotations({}, rs, { revision: 3, exists: true, desiredReplicas: 1, maxReplicas: 2 });
  assert.equal(rs.metadata?.annotations?.[REVISION_ANNOTATION], "3");
  assert.equal(rs.metadata?.annotations?.[REVISION_HISTORY_ANNOTATION], "1");
  rs = setNewReplicaSetAnnotations({}, rs, { revision: 5, exists: true, desiredReplicas: 1, maxReplicas: 2 });
  assert.equal(rs.metadata?.annotations?.[REVISION_HISTORY_ANNOTATION], "1,3");
  assert.equal(setNewReplicaSetAnnotations({}, rs, { revision: 5, exists: true, desiredReplicas: 1, maxReplicas: 2 }), rs);
  assert.equal(setNewReplicaSetAnnotations({}, rs, { revision: 2, exists: true, desiredReplicas: 1, maxReplicas: 2 }), rs, "a revision never goes back");
});

test("replica annotations are written only when they differ", () => {
  const rs = setReplicasAnnotations({ metadata: {} } as KubeObject, 3, 4);
  assert.deepEqual(rs.metadata?.annotations, { "deployment.kubernetes.io/desired-replicas": "3", "deployment.kubernetes.io/max-replicas": "4" });
  assert.equal(setReplicasAnnotations(rs, 3, 4), rs);
});
