// The agent's way to a runtime: start the node's containerd in a directory and a namespace, import the base images,
// and pick up a containerd already serving that directory (left by an agent that was killed) instead of failing.
import assert from "node:assert/strict";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { runCommand } from "./command.js";
import { ContainerdInstance, destroyContainerdDir } from "./containerd_instance.js";
import { startNodeRuntime } from "./node_runtime.js";
import { criTestSkipReason } from "../runtime/cri/testing.js";
import { BUSYBOX_IMAGE, PAUSE_IMAGE } from "../images/base_images.js";

describe("node runtime", { skip: criTestSkipReason() }, () => {
  it("starts containerd in a namespace with the base images, and reuses one already serving the directory", async () => {
    const dir = await mkdtemp(join(tmpdir(), "k8ts-node-rt-"));
    const netns = `k8ts-node-rt-${process.pid}`;
    let leftover: ContainerdInstance | undefined;
    try {
      await runCommand("ip", ["netns", "add", netns]);
      const first = await startNodeRuntime({ root: dir, netns, podCIDR: "10.88.14.0/24" });
      try {
        assert.ok(first.containerd, "started its own containerd");
        const st = await first.runtime.status();
        assert.ok(st.conditions.every((c) => c.status), JSON.stringify(st));
        for (const img of [BUSYBOX_IMAGE, PAUSE_IMAGE]) assert.ok(await first.runtime.imageStatus(img), img);
      } finally {
        await first.close();
      }
      // A containerd nobody stopped, as after a killed agent: the next agent uses it.
      leftover = await ContainerdInstance.start({ dir, netns });
      const second = await startNodeRuntime({ root: dir, netns });
      try {
        assert.equal(second.containerd, undefined, "did not start a second containerd");
        assert.equal((await second.runtime.version()).runtimeName, "containerd");
      } finally {
        await second.close();
      }
    } finally {
      await leftover?.stop();
      await destroyContainerdDir(dir);
      await runCommand("ip", ["netns", "del", netns]).catch(() => "");
    }
  });
});
