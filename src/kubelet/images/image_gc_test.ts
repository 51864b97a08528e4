// Image garbage collection against a real containerd (root): images derived from busybox are imported, some used by
// containers, and a GC pass with thresholds set so it triggers removes the unused ones least recently used first,
// never the pause image nor an image a container uses; images past the maximum age go without any usage pressure.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { FakeClock } from "../../client/clock.js";
import { criTestSkipReason, startTestNode, type TestNode } from "../runtime/cri/testing.js";
import type { CriRuntime } from "../runtime/cri/cri_runtime.js";
import type { PodSandboxConfig } from "../runtime/types.js";
import { DEFAULT_IMAGE_CACHE, IMAGE_TAGS, PAUSE_IMAGE, buildImage } from "./base_images.js";
import { deriveImage } from "./image_copy.js";
import { ImageGC, criImageFs, validateImageGCPolicy } from "./image_gc.js";
import { importImage } from "./load_image.js";

const skip = criTestSkipReason();
const SLEEPER = ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"];
const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe("image garbage collection on containerd", { skip }, () => {
  let node: TestNode;
  let rt: CriRuntime;
  let work: string;
  let seq = 0;
  let baseTar: string;

  const tags = async (): Promise<string[]> => (await rt.listImages()).flatMap((i) => i.repoTags).sort();
  const addImage = async (name: string): Promise<string> => {
    const ref = `example.test/gc/${name}:1`;
    const tar = join(work, `${name}.tar`);
    await deriveImage(baseTar, tar, ref, { "k8ts.test/variant": name });
    await importImage(tar, node.containerd.address);
    return ref;
  };
  /** A sandbox with one container of image: answers the sandbox id. */
  const runWith = async (image: string): Promise<string> => {
    const uid = `9c000000-0000-4000-8000-${String(++seq).padStart(12, "0")}`;
    const cfg: PodSandboxConfig = {
      metadata: { name: `gc-${seq}`, namespace: "default", uid, attempt: 0 },
      hostname: `gc-${seq}`,
      logDirectory: `/var/log/pods/default_gc-${seq}_${uid}`,
      labels: { "io.kubernetes.pod.uid": uid },
      annotations: {},
      linux: { cgroupParent: `/kubepods/pod${uid}` },
    };
    const sb = await rt.runPodSandbox(cfg);
    const id = await rt.createContainer(sb, { metadata: { name: "c", attempt: 0 }, image, command: SLEEPER, labels: {}, annotations: {}, logPath: "c/0.log" }, cfg);
    await rt.startContainer(id);
    return sb;
  };

  before(async () => {
    node = await startTestNode("imggc", { podCIDR: "10.88.12.0/24" });
    rt = node.runtime;
    work = await mkdtemp(join(tmpdir(), "k8ts-imggc-"));
    baseTar = await buildImage("busybox", { outDir: DEFAULT_IMAGE_CACHE });
  });

  after(async () => {
    await node?.destroy();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it("refuses thresholds the kubelet refuses", () => {
    assert.match(String(validateImageGCPolicy({ highThresholdPercent: 101 })), /high threshold 101/);
    assert.match(String(validateImageGCPolicy({ highThresholdPercent: 50, lowThresholdPercent: 60 })), /greater than the high threshold/);
    assert.equal(validateImageGCPolicy({ highThresholdPercent: 90, lowThresholdPercent: 80, maxAgeMs: 3_600_000 }), undefined);
    assert.throws(() => new ImageGC({ runtime: rt, imageFs: criImageFs(rt.client), lowThresholdPercent: 95 }), /greater than the high threshold/);
  });

  it("above the high threshold removes unused images least recently used first, never pause or images in use", async () => {
    const fsInfo = await criImageFs(rt.client)();
    assert.ok(fsInfo.capacityBytes > 0 && fsInfo.availableBytes > 0 && fsInfo.mountpoint, `image fs ${JSON.stringify(fsInfo)}`);
    const [never, older, newer] = [await addImage("never"), await addImage("older"), await addImage("newer")];
    // Thresholds low enough that this machine's filesystem is over them: GC frees all it may.
    const gc = new ImageGC({ runtime: rt, imageFs: criImageFs(rt.client), highThresholdPercent: 1, lowThresholdPercent: 0, minAgeMs: 0 });
    await gc.detect();
    // "older" is used first, then its pod goes; then "newer" likewise; busybox stays in use by a running container.
    const a = await runWith(older);
    await gc.detect();
    await rt.removePodSandbox(a);
    await delay(20);
    const b = await runWith(newer);
    await gc.detect();
    await rt.removePodSandbox(b);
    const keep = await runWith(IMAGE_TAGS.busybox);
    try {
      const before = await tags();
      for (const t of [never, older, newer, IMAGE_TAGS.busybox, PAUSE_IMAGE]) assert.ok(before.includes(t), `${t} present before GC: ${before.join(", ")}`);
      const res = await gc.garbageCollect();
      assert.ok(res.usagePercent >= 1, `usage ${res.usagePercent}%`);
      assert.deepEqual(
        res.removed.map((r) => [r.tags[0], r.reason]),
        [[never, "usage"], [older, "usage"], [newer, "usage"]],
      );
      assert.ok(res.freedBytes > 0);
      const left = await tags();
      assert.deepEqual(left, [IMAGE_TAGS.busybox, PAUSE_IMAGE].sort(), "only the pause image and the image in use are left");
    } finally {
      await rt.removePodSandbox(keep);
    }
  });

  it("removes images unused for longer than the maximum age, without usage pressure", async () => {
    const stale = await addImage("stale");
    // Ages on a fake clock: starting the sandbox below may take longer than the maximum age on a loaded machine.
    const clock = new FakeClock(Date.now());
    const gc = new ImageGC({ runtime: rt, imageFs: criImageFs(rt.client), highThresholdPercent: 100, lowThresholdPercent: 100, minAgeMs: 0, maxAgeMs: 1000, clock });
    await gc.detect();
    const keep = await runWith(IMAGE_TAGS.busybox);
    try {
      const early = await gc.garbageCollect();
      assert.deepEqual(early.removed, [], "nothing is past the maximum age yet");
      clock.advance(1500);
      const res = await gc.garbageCollect();
      assert.deepEqual(res.removed.map((r) => [r.tags[0], r.reason]), [[stale, "age"]]);
      assert.deepEqual(await tags(), [IMAGE_TAGS.busybox, PAUSE_IMAGE].sort());
    } finally {
      await rt.removePodSandbox(keep);
    }
  });
});
