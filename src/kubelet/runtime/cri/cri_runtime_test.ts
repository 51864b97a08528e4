// The runtime conformance suite against a real containerd (started by this file inside its own network namespace),
// plus what only a real runtime shows: limits in cgroups, pod cgroups removed with the sandbox, logs on disk.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { runtimeConformance, type RuntimeHarness } from "../conformance.js";
import type { PodSandboxConfig } from "../types.js";
import { runCommand } from "../../containerd/command.js";
import { criTestSkipReason, removeAllSandboxes, startTestNode, type TestNode } from "./testing.js";

const skip = criTestSkipReason();
let node: Promise<TestNode> | undefined;
const shared = (): Promise<TestNode> => (node ??= startTestNode("cri", { podCIDR: "10.88.6.0/24" }));

after(async () => {
  if (node) await (await node).destroy();
});

// sh as PID 1 ignores SIGTERM unless it traps it; `wait` returns as soon as the trapped signal arrives.
const SLEEPER = ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"];

if (skip) {
  it("CRI runtime conformance", { skip }, () => {});
} else {
  runtimeConformance("cri (containerd)", async (): Promise<RuntimeHarness> => {
    const n = await shared();
    return {
      runtime: n.runtime,
      longRunning: () => ({ config: { image: "busybox", command: SLEEPER } }),
      exitingWith: (_name, code) => ({ config: { image: "busybox", command: ["sh", "-c", `sleep 0.2; exit ${code}`] } }),
      // tail buffers a "line" of /dev/zero forever: it grows until the memory cgroup kills it.
      oomKilled: () => ({ config: { image: "busybox", command: ["tail", "/dev/zero"], linux: { resources: { memoryLimitInBytes: 32 * 1024 * 1024 } } } }),
      missingImage: "registry.k8ts.invalid/nothing:1",
      podCIDR: "10.88.7.0/24",
      elapse: (ms) => new Promise((r) => setTimeout(r, ms)),
      close: async () => removeAllSandboxes(n.runtime),
    };
  });

  describe("cri runtime on containerd", () => {
    let seq = 0;
    const podConfig = (): PodSandboxConfig => {
      const uid = `5e1f0000-0000-4000-8000-${String(++seq).padStart(12, "0")}`;
      return {
        metadata: { name: `extra-${seq}`, namespace: "default", uid, attempt: 0 },
        hostname: `extra-${seq}`,
        logDirectory: `/var/log/pods/default_extra-${seq}_${uid}`,
        dnsConfig: { servers: ["10.96.0.10"], searches: ["default.svc.cluster.local"], options: ["ndots:5"] },
        labels: { "io.kubernetes.pod.uid": uid },
        annotations: {},
        linux: { cgroupParent: `/kubepods/pod${uid}` },
      };
    };

    it("applies limits, DNS and logs, and removes the pod cgroup with the sandbox", async () => {
      const n = await shared();
      const rt = n.runtime;
      const cfg = podConfig();
      const sb = await rt.runPodSandbox(cfg);
      const memCgroup = `/sys/fs/cgroup/memory/kubepods/pod${cfg.metadata.uid}`;
      try {
        const id = await rt.createContainer(
          sb,
          {
            metadata: { name: "main", attempt: 0 },
            image: "busybox",
            command: ["sh", "-c", "echo hello from $GREETING; trap 'exit 0' TERM; sleep 3600 & wait"],
            envs: [{ key: "GREETING", value: "k8ts" }],
            labels: {},
            annotations: {},
            logPath: "main/0.log",
            linux: { resources: { cpuShares: 512, cpuQuota: 50_000, cpuPeriod: 100_000, memoryLimitInBytes: 64 * 1024 * 1024 } },
          },
          cfg,
        );
        await rt.startContainer(id);
        assert.ok(existsSync(memCgroup), "pod cgroup exists while the pod runs");
        const limit = readFileSync(join(memCgroup, id, "memory.limit_in_bytes"), "utf8").trim();
        assert.equal(limit, String(64 * 1024 * 1024));
        assert.equal(readFileSync(`/sys/fs/cgroup/cpu/kubepods/pod${cfg.metadata.uid}/${id}/cpu.cfs_quota_us`, "utf8").trim(), "50000");
        const resolv = await rt.execSync(id, ["cat", "/etc/resolv.conf"], 5);
        assert.match(resolv.stdout, /nameserver 10\.96\.0\.10/);
        assert.equal((await rt.execSync(id, ["hostname"], 5)).stdout.trim(), cfg.hostname);
        const logFile = join(n.dir, "pods", `default_${cfg.metadata.name}_${cfg.metadata.uid}`, "main", "0.log");
        for (let i = 0; i < 50 && !(existsSync(logFile) && readFileSync(logFile, "utf8").includes("hello")); i++) await new Promise((r) => setTimeout(r, 100));
        assert.match(readFileSync(logFile, "utf8"), /^\S+ stdout F hello from k8ts$/m);
      } finally {
        await rt.removePodSandbox(sb);
      }
      assert.equal(existsSync(memCgroup), false, "pod cgroup removed with the sandbox");
    });

    it("maps a hostPort to the pod through portmap inside the node's namespace", async () => {
      const n = await shared();
      const rt = n.runtime;
      const cfg = { ...podConfig(), portMappings: [{ protocol: "TCP" as const, containerPort: 8080, hostPort: 18080 }] };
      const sb = await rt.runPodSandbox(cfg);
      try {
        const id = await rt.createContainer(
          sb,
          { metadata: { name: "web", attempt: 0 }, image: "busybox", command: ["sh", "-c", "mkdir -p /www && echo via-host-port > /www/index.html && exec httpd -f -p 8080 -h /www"], labels: {}, annotations: {} },
          cfg,
        );
        await rt.startContainer(id);
        // The node's own address on the pod bridge (the gateway), reached from inside the namespace.
        const gateway = (await rt.podSandboxStatus(sb)).network.ip.replace(/\.\d+$/, ".1");
        const url = `http://${gateway}:18080/index.html`;
        let body = "";
        for (let i = 0; i < 50 && !body.includes("via-host-port"); i++) {
          body = await runCommand("nsenter", [`--net=/var/run/netns/${n.netns}`, "/bin/busybox", "timeout", "3", "/bin/busybox", "wget", "-q", "-O", "-", url]).catch(() => "");
          if (!body) await new Promise((r) => setTimeout(r, 100));
        }
        assert.match(body, /via-host-port/);
      } finally {
        await rt.removePodSandbox(sb);
      }
    });
  });
}
