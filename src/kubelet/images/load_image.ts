// Imports image tarballs into a node's containerd, in namespace k8s.io where the CRI plugin looks for images.
import { runCommand } from "../containerd/command.js";
import { BASE_IMAGES, DEFAULT_IMAGE_CACHE, IMAGE_TAGS, buildImage } from "./base_images.js";

export const CRI_NAMESPACE = "k8s.io";

/** Imports a docker-archive or OCI tarball with `ctr images import` into the containerd at address. */
export async function importImage(file: string, address: string): Promise<void> {
  await runCommand("ctr", ["-a", address, "-n", CRI_NAMESPACE, "images", "import", file]);
}

/** Image references present in the containerd at address (namespace k8s.io). */
export async function listImageRefs(address: string): Promise<string[]> {
  return (await runCommand("ctr", ["-a", address, "-n", CRI_NAMESPACE, "images", "ls", "-q"])).split("\n").filter(Boolean);
}

export interface EnsureImagesOptions {
  /** Where built tarballs are cached (default DEFAULT_IMAGE_CACHE). */
  cacheDir?: string;
}

/** Builds (once, cached) and imports busybox and pause when the containerd at address lacks them; answers what it imported. */
export async function ensureBaseImages(address: string, opts: EnsureImagesOptions = {}): Promise<string[]> {
  const present = new Set(await listImageRefs(address));
  const imported: string[] = [];
  for (const kind of BASE_IMAGES) {
    if (present.has(IMAGE_TAGS[kind])) continue;
    const tar = await buildImage(kind, { outDir: opts.cacheDir ?? DEFAULT_IMAGE_CACHE });
    await importImage(tar, address);
    imported.push(IMAGE_TAGS[kind]);
  }
  return imported;
}
