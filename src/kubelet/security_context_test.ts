import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Pod } from "kubernetes-types/core/v1.js";
import { containerSecurity, runAsNonRootError, sandboxSecurity } from "./security_context.js";

const pod = (spec: Partial<NonNullable<Pod["spec"]>>): Pod => ({ metadata: { name: "p", namespace: "ns", uid: "u1" }, spec: { containers: [{ name: "c", image: "busybox" }], ...spec } });
const image = (user: { uid?: number; username?: string }) => ({ id: "sha256:x", repoTags: [], repoDigests: [], size: 1, pinned: false, ...user });

describe("security context", () => {
  it("merges the pod's settings with the container's, the container's winning", () => {
    const p = pod({
      securityContext: { runAsUser: 1000, runAsGroup: 2000, supplementalGroups: [3000], fsGroup: 4000 },
      containers: [{ name: "c", securityContext: { runAsUser: 1001, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { add: ["NET_ADMIN"], drop: ["ALL"] } } }],
    });
    assert.deepEqual(containerSecurity(p, p.spec!.containers[0]!), {
      runAsUser: 1001,
      runAsGroup: 2000,
      supplementalGroups: [3000, 4000],
      readonlyRootfs: true,
      capabilities: { add: ["NET_ADMIN"], drop: ["ALL"] },
      noNewPrivs: true,
    });
    assert.deepEqual(sandboxSecurity(p), { runAsUser: 1000, runAsGroup: 2000, supplementalGroups: [3000, 4000] });
  });

  it("sets nothing for a pod without security settings, and no_new_privs only for an explicit false", () => {
    const p = pod({});
    assert.equal(containerSecurity(p, p.spec!.containers[0]!), undefined);
    assert.equal(sandboxSecurity(p), undefined);
    assert.equal(containerSecurity(p, { name: "c", securityContext: { allowPrivilegeEscalation: true } }), undefined);
  });

  it("makes the sandbox privileged when any container is", () => {
    const p = pod({ initContainers: [{ name: "i", securityContext: { privileged: true } }] });
    assert.deepEqual(sandboxSecurity(p), { privileged: true });
  });

  it("refuses root under runAsNonRoot with the kubelet's messages", () => {
    const p = pod({ securityContext: { runAsNonRoot: true } });
    const c = p.spec!.containers[0]!;
    assert.equal(runAsNonRootError(p, c, image({})), `container has runAsNonRoot and image will run as root (pod: "p_ns(u1)", container: c)`);
    assert.equal(runAsNonRootError(p, c, image({ uid: 0 })), `container has runAsNonRoot and image will run as root (pod: "p_ns(u1)", container: c)`);
    assert.equal(runAsNonRootError(p, c, image({ uid: 1000 })), undefined);
    assert.match(runAsNonRootError(p, c, image({ username: "app" })) ?? "", /non-numeric user \(app\)/);
    assert.equal(runAsNonRootError(p, { ...c, securityContext: { runAsUser: 1000 } }, image({})), undefined);
    assert.match(runAsNonRootError(p, { ...c, securityContext: { runAsUser: 0 } }, image({ uid: 1000 })) ?? "", /runAsUser breaks non-root policy/);
    assert.equal(runAsNonRootError(pod({}), c, image({})), undefined);
  });
});
