// Image garbage collection, as the kubelet's image manager does it: when the image filesystem is used above the high
// threshold (percent), unused images are removed through CRI RemoveImage, least recently used first, until usage is
// back under the low threshold; images unused for longer than the maximum age go regardless of usage. Never removed:
// the pause (sandbox) image, pinned images, images of any container (running or exited) and images first seen less
// than the minimum age ago.
import { statfs } from "node:fs/promises";
import { realClock, sleep, type Clock } from "../../client/clock.js";
import type { Logger } from "../../util/log.js";
import { silentLogger } from "../../util/log.js";
import type { CriClient } from "../runtime/cri/cri_client.js";
import type { ContainerRuntime, Image } from "../runtime/types.js";
import { normalizeImage } from "../runtime/types.js";
import { PAUSE_IMAGE } from "./base_images.js";

/** Bytes of one filesystem: its size and what is still available. */
export interface FsUsage {
  capacityBytes: number;
  availableBytes: number;
  /** Bytes the runtime says its images take (CRI ImageFsInfo used_bytes), for the log. */
  imagesBytes?: number;
  mountpoint?: string;
}

interface WireFsUsage {
  fs_id?: { mountpoint?: string };
  used_bytes?: { value?: number | string };
}

/** The image filesystem of a CRI runtime: ImageFsInfo names its mountpoint, statfs measures it. */
export function criImageFs(client: CriClient): () => Promise<FsUsage> {
  return async () => {
    const res = await client.call<{ image_filesystems?: WireFsUsage[] }>("ImageService", "ImageFsInfo", {});
    const fs = res.image_filesystems?.[0];
    const mountpoint = fs?.fs_id?.mountpoint;
    if (!mountpoint) throw new Error("ImageFsInfo named no image filesystem");
    const st = await statfs(mountpoint);
    return { capacityBytes: st.blocks * st.bsize, availableBytes: st.bavail * st.bsize, imagesBytes: Number(fs.used_bytes?.value ?? 0), mountpoint };
  };
}

export interface ImageGCPolicy {
  /** Usage (percent of the image filesystem) at or above which GC runs (default 85; 100 disables it). */
  highThresholdPercent?: number;
  /** Usage GC frees down to (default 80). */
  lowThresholdPercent?: number;
  /** Unused images older than this (since last used) are removed whatever the usage (ms; default 0: never). */
  maxAgeMs?: number;
  /** Images first seen less than this ago are kept (ms; default 2 min, as the kubelet). */
  minAgeMs?: number;
}

/** Checks a policy as the kubelet does; answers an error message or undefined. */
export function validateImageGCPolicy(p: ImageGCPolicy): string | undefined {
  const high = p.highThresholdPercent ?? DEFAULT_HIGH;
  const low = p.lowThresholdPercent ?? DEFAULT_LOW;
  if (!Number.isInteger(high) || high < 0 || high > 100) return `invalid image GC high threshold ${high}: must be in [0, 100]`;
  if (!Number.isInteger(low) || low < 0 || low > 100) return `invalid image GC low threshold ${low}: must be in [0, 100]`;
  if (low > high) return `image GC low threshold ${low} is greater than the high threshold ${high}`;
  if ((p.maxAgeMs ?? 0) < 0 || (p.minAgeMs ?? 0) < 0) return "image GC ages must not be negative";
  if (p.maxAgeMs && p.minAgeMs !== undefined && p.maxAgeMs < p.minAgeMs) return "image maximum GC age must be at least the minimum GC age";
  return undefined;
}

const DEFAULT_HIGH = 85;
const DEFAULT_LOW = 80;
const DEFAULT_MIN_AGE_MS = 2 * 60_000;
/** How often images are checked (the kubelet's ImageGCPeriod is 5 min). */
export const DEFAULT_IMAGE_GC_PERIOD_MS = 5 * 60_000;

export interface ImageGCOptions extends ImageGCPolicy {
  runtime: ContainerRuntime;
  /** The image filesystem's usage (criImageFs for containerd). */
  imageFs: () => Promise<FsUsage>;
  /** The sandbox image, never removed (default PAUSE_IMAGE). */
  sandboxImage?: string;
  clock?: Clock;
  log?: Logger;
}

interface ImageRecord {
  firstDetected: number;
  /** When a container last used it (0: never seen in use). */
  lastUsed: number;
  size: number;
}

export interface GCResult {
  /** Usage before, in percent of the filesystem. */
  usagePercent: number;
  /** Image ids removed, in removal order, with the reason. */
  removed: { id: string; tags: string[]; reason: "usage" | "age" }[];
  freedBytes: number;
}

export class ImageGC {
  private readonly images = new Map<string, ImageRecord>();
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly sandboxImage: string;

  constructor(private readonly o: ImageGCOptions) {
    const bad = validateImageGCPolicy(o);
    if (bad) throw new Error(bad);
    this.clock = o.clock ?? realClock;
    this.log = (o.log ?? silentLogger).with({ component: "image-gc" });
    this.sandboxImage = normalizeImage(o.sandboxImage ?? PAUSE_IMAGE);
  }

  /** Lists images and containers: records images in use now and images seen for the first time; answers the images. */
  async detect(): Promise<Image[]> {
    const now = this.clock.now();
    const [images, containers] = await Promise.all([this.o.runtime.listImages(), this.o.runtime.listContainers()]);
    const inUse = new Set<string>();
    for (const c of containers) {
      if (c.imageRef) inUse.add(c.imageRef);
      if (c.image) inUse.add(c.image);
    }
    const present = new Set<string>();
    for (const img of images) {
      present.add(img.id);
      let rec = this.images.get(img.id);
      if (!rec) this.images.set(img.id, (rec = { firstDetected: now, lastUsed: 0, size: img.size }));
      rec.size = img.size;
      if (this.used(img, inUse)) rec.lastUsed = now;
    }
    for (const id of this.images.keys()) if (!present.has(id)) this.images.delete(id);
    this.inUse = inUse;
    return images;
  }

  private inUse = new Set<string>();

  private used(img: Image, inUse: Set<string>): boolean {
    return inUse.has(img.id) || img.repoTags.some((t) => inUse.has(t) || inUse.has(normalizeImage(t))) || img.repoDigests.some((d) => inUse.has(d));
  }

  private keep(img: Image): boolean {
    return img.pinned || img.repoTags.some((t) => normalizeImage(t) === this.sandboxImage) || this.used(img, this.inUse);
  }

  /** One pass: images past the maximum age, then, above the high threshold, least recently used down to the low. */
  async garbageCollect(): Promise<GCResult> {
    const images = await this.detect();
    const now = this.clock.now();
    const minAge = this.o.minAgeMs ?? DEFAULT_MIN_AGE_MS;
    const candidates = images
      .filter((img) => !this.keep(img))
      .map((img) => ({ img, rec: this.images.get(img.id)! }))
      .filter(({ rec }) => now - rec.firstDetected >= minAge)
      // Least recently used first; never-used images by when they were first seen.
      .sort((a, b) => a.rec.lastUsed - b.rec.lastUsed || a.rec.firstDetected - b.rec.firstDetected || a.img.id.localeCompare(b.img.id));
    const result: GCResult = { usagePercent: 0, removed: [], freedBytes: 0 };
    const remove = async (img: Image, reason: "usage" | "age"): Promise<boolean> => {
      try {
        await this.o.runtime.removeImage(img.id);
      } catch (err) {
        this.log.warn("removing image failed", { image: img.repoTags[0] ?? img.id, err });
        return false;
      }
      this.images.delete(img.id);
      result.removed.push({ id: img.id, tags: img.repoTags, reason });
      result.freedBytes += img.size;
      this.log.info("image removed", { image: img.repoTags[0] ?? img.id, size: img.size, reason });
      return true;
    };
    const maxAge = this.o.maxAgeMs ?? 0;
    const left: typeof candidates = [];
    for (const c of candidates) {
      const since = c.rec.lastUsed || c.rec.firstDetected;
      if (maxAge > 0 && now - since > maxAge) await remove(c.img, "age");
      else left.push(c);
    }
    const fs = await this.o.imageFs();
    if (fs.capacityBytes <= 0) throw new Error("image filesystem reports no capacity");
    const usagePercent = 100 - Math.floor((fs.availableBytes * 100) / fs.capacityBytes);
    result.usagePercent = usagePercent;
    const high = this.o.highThresholdPercent ?? DEFAULT_HIGH;
    const low = this.o.lowThresholdPercent ?? DEFAULT_LOW;
    if (high < 100 && usagePercent >= high) {
      const toFree = Math.floor((fs.capacityBytes * (100 - low)) / 100) - fs.availableBytes;
      this.log.info("image filesystem above the high threshold", { usagePercent, highThresholdPercent: high, bytesToFree: toFree, imagesBytes: fs.imagesBytes });
      let freed = 0;
      for (const c of left) {
        if (freed >= toFree) break;
        if (await remove(c.img, "usage")) freed += c.img.size;
      }
      if (freed < toFree) this.log.warn("image garbage collection could not free enough", { wanted: toFree, freed });
    }
    return result;
  }

  /** Detects every periodMs (so last-use times stay current) and collects; until the signal aborts. */
  async run(signal: AbortSignal, periodMs = DEFAULT_IMAGE_GC_PERIOD_MS): Promise<void> {
    // Images in use are noted early and often: a GC pass must not mistake a briefly stopped pod's image for unused.
    const detectEveryMs = Math.min(periodMs, 30_000);
    let lastGC = this.clock.now();
    while (!signal.aborted) {
      await sleep(this.clock, detectEveryMs, signal).catch(() => undefined);
      if (signal.aborted) break;
      try {
        if (this.clock.now() - lastGC >= periodMs) {
          lastGC = this.clock.now();
          await this.garbageCollect();
        } else await this.detect();
      } catch (err) {
        this.log.warn("image garbage collection failed", { err });
      }
    }
  }
}
