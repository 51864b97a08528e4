// securityContext on a real node (containerd, runc, the agent, kubectl 1.31): what a process in the container sees of
// its user, groups, capabilities (CapEff in /proc/self/status), no_new_privs and root filesystem, and the refusal of
// root under runAsNonRoot.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Pod } from "kubernetes-types/core/v1.js";
import { criNodeSkip, startCriNode, type CriNode } from "./cri_node_harness.js";

/** Bits of CapEff (linux/capability.h). */
const CAP_NET_ADMIN = 12;
const CAP_NET_RAW = 13;
const CAP_SYS_ADMIN = 21;

/** Prints what the container runs with, one `key=value` per line, then exits. */
const REPORT = [
  "sh",
  "-c",
  [
    'echo "uid=$(id -u)"',
    'echo "gid=$(id -g)"',
    'echo "groups=$(id -G)"',
    'echo "capeff=$(grep CapEff /proc/self/status | cut -f2)"',
    'echo "nnp=$(grep NoNewPrivs /proc/self/status | cut -f2)"',
    'if touch /rootfs-probe 2>/dev/null; then echo rootfs=writable; else echo rootfs=readonly; fi',
  ].join("; "),
];

function report(log: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of log.split("\n")) {
    // CRI log lines: <time> stdout F <text>
    const m = /^\S+ stdout [FP] (\w+)=(.*)$/.exec(line);
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}

const hasCap = (capEff: string | undefined, bit: number): boolean => ((BigInt(`0x${capEff ?? "0"}`) >> BigInt(bit)) & 1n) === 1n;

describe("securityContext on containerd", { skip: criNodeSkip() }, () => {
  let n: CriNode;
  before(async () => {
    n = await startCriNode("secctx", { podCIDR: "10.88.23.0/24", nodeIP: "10.88.23.1" });
  });
  after(async () => {
    await n?.close();
  });

  const finished = (name: string): Promise<Pod> => n.waitFor(name, "Succeeded", (x) => x.status?.phase === "Succeeded" || x.status?.phase === "Failed");

  it("runs as the pod's user and groups, the container's runAsUser winning", async () => {
    await n.apply("ids", {
      restartPolicy: "Never",
      securityContext: { runAsUser: 1000, runAsGroup: 3000, supplementalGroups: [4000], fsGroup: 5000 },
      containers: [
        { name: "pod-level", image: "busybox", command: REPORT },
        { name: "own-user", image: "busybox", command: REPORT, securityContext: { runAsUser: 2000 } },
      ],
    });
    const p = await finished("ids");
    assert.equal(p.status!.phase, "Succeeded", JSON.stringify(p.status));
    const pod = report(n.logOf(p, "pod-level"));
    assert.equal(pod.uid, "1000");
    assert.equal(pod.gid, "3000");
    assert.deepEqual(pod.groups!.split(" ").sort(), ["3000", "4000", "5000"]);
    assert.equal(pod.rootfs, "readonly", "a non-root user cannot write to /");
    const own = report(n.logOf(p, "own-user"));
    assert.equal(own.uid, "2000");
    assert.equal(own.gid, "3000");
  });

  it("applies readOnlyRootFilesystem, privileged, capabilities and allowPrivilegeEscalation", async () => {
    await n.apply("caps", {
      restartPolicy: "Never",
      containers: [
        { name: "plain", image: "busybox", command: REPORT },
        { name: "readonly", image: "busybox", command: REPORT, securityContext: { readOnlyRootFilesystem: true } },
        { name: "privileged", image: "busybox", command: REPORT, securityContext: { privileged: true } },
        { name: "only-net-admin", image: "busybox", command: REPORT, securityContext: { capabilities: { drop: ["ALL"], add: ["NET_ADMIN"] } } },
        { name: "no-net-raw", image: "busybox", command: REPORT, securityContext: { capabilities: { drop: ["NET_RAW"] } } },
        { name: "no-escalation", image: "busybox", command: REPORT, securityContext: { allowPrivilegeEscalation: false } },
      ],
    });
    const p = await finished("caps");
    assert.equal(p.status!.phase, "Succeeded", JSON.stringify(p.status));
    const r = Object.fromEntries(["plain", "readonly", "privileged", "only-net-admin", "no-net-raw", "no-escalation"].map((c) => [c, report(n.logOf(p, c))]));

    assert.equal(r.plain!.uid, "0");
    assert.equal(r.plain!.rootfs, "writable");
    assert.equal(r.readonly!.rootfs, "readonly");

    // The runtime's default set has NET_RAW but neither NET_ADMIN nor SYS_ADMIN; privileged has them all.
    assert.ok(hasCap(r.plain!.capeff, CAP_NET_RAW) && !hasCap(r.plain!.capeff, CAP_NET_ADMIN) && !hasCap(r.plain!.capeff, CAP_SYS_ADMIN), r.plain!.capeff);
    assert.ok(hasCap(r.privileged!.capeff, CAP_SYS_ADMIN) && hasCap(r.privileged!.capeff, CAP_NET_ADMIN), r.privileged!.capeff);
    assert.equal(BigInt(`0x${r["only-net-admin"]!.capeff}`), 1n << BigInt(CAP_NET_ADMIN));
    assert.ok(!hasCap(r["no-net-raw"]!.capeff, CAP_NET_RAW), r["no-net-raw"]!.capeff);

    assert.equal(r.plain!.nnp, "0");
    assert.equal(r["no-escalation"]!.nnp, "1");
  });

  it("refuses to run an image's root user under runAsNonRoot, and runs a non-root runAsUser", async () => {
    await n.apply("nonroot", {
      restartPolicy: "Never",
      securityContext: { runAsNonRoot: true },
      containers: [
        { name: "image-user", image: "busybox", command: REPORT },
        { name: "explicit-user", image: "busybox", command: REPORT, securityContext: { runAsUser: 1000 } },
      ],
    });
    const p = await n.waitFor("nonroot", "the refusal", (x) => {
      const s = x.status?.containerStatuses ?? [];
      return s.find((c) => c.name === "image-user")?.state?.waiting?.reason === "CreateContainerConfigError" && Boolean(s.find((c) => c.name === "explicit-user")?.state?.terminated);
    });
    const refused = p.status!.containerStatuses!.find((c) => c.name === "image-user")!;
    assert.equal(refused.state!.waiting!.message, `container has runAsNonRoot and image will run as root (pod: "nonroot_default(${p.metadata!.uid})", container: image-user)`);
    assert.equal(report(n.logOf(p, "explicit-user")).uid, "1000");
    assert.equal(p.status!.phase, "Pending");
    const failed = (await n.events("nonroot")).find((e) => e.reason === "Failed" && /runAsNonRoot/.test(e.message ?? ""));
    assert.ok(failed, "a Failed event names the refusal");
  });
});
