import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { containerStatus, image, podSandbox, wireContainerConfig, wireSandboxConfig } from "./cri_convert.js";
import { cgroupParentOf } from "./cri_runtime.js";
import type { PodSandboxConfig } from "../types.js";

const sandbox: PodSandboxConfig = {
  metadata: { name: "p", namespace: "ns", uid: "u1", attempt: 2 },
  hostname: "p",
  logDirectory: "/var/log/pods/ns_p_u1",
  dnsConfig: { servers: ["10.96.0.10"], searches: ["ns.svc.cluster.local"], options: ["ndots:5"] },
  portMappings: [{ protocol: "TCP", containerPort: 80, hostPort: 8080 }],
  labels: { a: "b" },
  annotations: { c: "d" },
  linux: { cgroupParent: "/kubepods/podu1", hostNetwork: false },
};

describe("CRI translation", () => {
  it("sends sandbox configs with cgroup parent, DNS, ports and pod namespaces", () => {
    assert.deepEqual(wireSandboxConfig(sandbox), {
      metadata: { name: "p", uid: "u1", namespace: "ns", attempt: 2 },
      hostname: "p",
      log_directory: "/var/log/pods/ns_p_u1",
      dns_config: { servers: ["10.96.0.10"], searches: ["ns.svc.cluster.local"], options: ["ndots:5"] },
      port_mappings: [{ protocol: "TCP", container_port: 80, host_port: 8080, host_ip: "" }],
      labels: { a: "b" },
      annotations: { c: "d" },
      linux: {
        cgroup_parent: "/kubepods/podu1",
        security_context: { namespace_options: { network: "POD", pid: "CONTAINER", ipc: "POD" }, run_as_user: null, run_as_group: null, supplemental_groups: [], privileged: false },
      },
    });
  });

  it("sends container resources and the node network for hostNetwork pods", () => {
    const wire = wireContainerConfig(
      { metadata: { name: "c", attempt: 1 }, image: "busybox", labels: {}, annotations: {}, linux: { resources: { cpuShares: 512, cpuQuota: 50_000, cpuPeriod: 100_000, memoryLimitInBytes: 1 << 26 } } },
      { ...sandbox, linux: { hostNetwork: true } },
    ) as { linux: { resources: object; security_context: { namespace_options: { network: string } } } };
    assert.deepEqual(wire.linux.resources, { cpu_period: 100_000, cpu_quota: 50_000, cpu_shares: 512, memory_limit_in_bytes: 1 << 26 });
    assert.equal(wire.linux.security_context.namespace_options.network, "NODE");
  });

  it("sends the container's security context, and a privileged sandbox for a privileged container", () => {
    const wire = wireContainerConfig(
      {
        metadata: { name: "c", attempt: 0 },
        image: "busybox",
        labels: {},
        annotations: {},
        linux: { securityContext: { runAsUser: 1000, runAsGroup: 3000, supplementalGroups: [4000], readonlyRootfs: true, privileged: true, capabilities: { add: ["NET_ADMIN"], drop: ["ALL"] }, noNewPrivs: true } },
      },
      sandbox,
    ) as { linux: { security_context: object } };
    assert.deepEqual(wire.linux.security_context, {
      namespace_options: { network: "POD", pid: "CONTAINER", ipc: "POD" },
      capabilities: { add_capabilities: ["NET_ADMIN"], drop_capabilities: ["ALL"] },
      privileged: true,
      run_as_user: { value: 1000 },
      run_as_group: { value: 3000 },
      readonly_rootfs: true,
      supplemental_groups: [4000],
      no_new_privs: true,
    });
    const sb = wireSandboxConfig({ ...sandbox, linux: { securityContext: { privileged: true, runAsUser: 1000 } } }) as { linux: { security_context: { privileged: boolean; run_as_user: object } } };
    assert.equal(sb.linux.security_context.privileged, true);
    assert.deepEqual(sb.linux.security_context.run_as_user, { value: 1000 });
  });

  it("reads the image user (int64 as a string) for runAsNonRoot", () => {
    assert.equal(image({ id: "i", repo_tags: [], repo_digests: [], size: 1, pinned: false, uid: { value: "1000" }, username: "" }).uid, 1000);
    const named = image({ id: "i", repo_tags: [], repo_digests: [], size: 1, pinned: false, uid: null, username: "nobody" });
    assert.deepEqual([named.uid, named.username], [undefined, "nobody"]);
  });

  it("reads statuses in milliseconds with exit reasons", () => {
    const st = containerStatus(
      { id: "c", metadata: { name: "c", attempt: 0 }, state: "CONTAINER_EXITED", created_at: 1_000_000_000, started_at: 2_000_000_000, finished_at: 3_500_000_000, exit_code: 3, image: { image: "busybox" }, image_ref: "sha256:x", reason: "", message: "", labels: {}, annotations: {} },
      "sb",
    );
    assert.deepEqual([st.state, st.createdAt, st.startedAt, st.finishedAt, st.exitCode, st.reason, st.podSandboxId], ["exited", 1000, 2000, 3500, 3, "Error", "sb"]);
    assert.equal(podSandbox({ id: "s", metadata: null, state: "SANDBOX_NOTREADY", created_at: 5_000_000, labels: {}, annotations: {} }).state, "notready");
  });

  it("finds the cgroup parent in containerd's verbose sandbox info", () => {
    assert.equal(cgroupParentOf({ info: JSON.stringify({ config: { linux: { cgroup_parent: "/kubepods/podu1" } } }) }), "/kubepods/podu1");
    assert.equal(cgroupParentOf({}), "");
    assert.equal(cgroupParentOf({ info: "not json" }), "");
  });
});
