// The two images every node needs, built locally because no registry is reachable: busybox (from Debian's
// busybox-static) for workloads and tests, and pause (a tiny static C program) for pod sandboxes. Each is built as
// an OCI layout with umoci, then written as a docker-archive tarball by skopeo, ready for `ctr images import`.
import { existsSync } from "node:fs";
import { copyFile, chmod, mkdir, mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCommand } from "../containerd/command.js";

export type BaseImage = "busybox" | "pause";
export const BASE_IMAGES: readonly BaseImage[] = ["busybox", "pause"];

/** Tag of the busybox image (what `image: busybox` normalizes to). */
export const BUSYBOX_IMAGE = "docker.io/library/busybox:latest";
/** Tag of the pause image; containerd's sandbox_image must be exactly this. */
export const PAUSE_IMAGE = "registry.k8s.io/pause:3.10";

export const IMAGE_TAGS: Record<BaseImage, string> = { busybox: BUSYBOX_IMAGE, pause: PAUSE_IMAGE };

/** Where built tarballs are kept between runs unless a caller says otherwise. */
export const DEFAULT_IMAGE_CACHE = "/var/cache/k8ts/images";

const BUSYBOX_BINARY = "/bin/busybox";

// The sandbox's init: exits cleanly on SIGTERM/SIGINT, reaps orphans (it is PID 1 of the pod), otherwise sleeps.
const PAUSE_C = `#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
static void quit(int sig) { (void)sig; _exit(0); }
static void reap(int sig) { (void)sig; while (waitpid(-1, NULL, WNOHANG) > 0) {} }
int main(void) {
  signal(SIGTERM, quit); signal(SIGINT, quit); signal(SIGCHLD, reap);
  for (;;) pause();
}
`;

const PASSWD = "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n";
const GROUP = "root:x:0:\nnogroup:x:65534:\n";

function ociArch(): string {
  return process.arch === "x64" ? "amd64" : process.arch;
}

export interface BuildOptions {
  /** Directory receiving <kind>.tar (created if missing). */
  outDir: string;
  /** Build even when <kind>.tar is already there. */
  force?: boolean;
}

/** The path of the docker-archive tarball of an image in a directory. */
export function imageTarball(kind: BaseImage, dir: string): string {
  return join(dir, `${kind}.tar`);
}

async function fillRootfs(kind: BaseImage, rootfs: string, work: string): Promise<string[]> {
  if (kind === "pause") {
    const src = join(work, "pause.c");
    await writeFile(src, PAUSE_C);
    await runCommand("gcc", ["-static", "-Os", "-s", "-o", join(rootfs, "pause"), src]);
    return ["--config.entrypoint", "/pause"];
  }
  for (const d of ["bin", "etc", "tmp", "root", "var/www"]) await mkdir(join(rootfs, d), { recursive: true });
  await chmod(join(rootfs, "tmp"), 0o1777);
  await copyFile(BUSYBOX_BINARY, join(rootfs, "bin/busybox"));
  await chmod(join(rootfs, "bin/busybox"), 0o755);
  // busybox links its applets into /bin itself; chroot so the links are relative to the image's root.
  await runCommand("chroot", [rootfs, "/bin/busybox", "--install", "-s", "/bin"]);
  await writeFile(join(rootfs, "etc/passwd"), PASSWD);
  await writeFile(join(rootfs, "etc/group"), GROUP);
  return ["--config.cmd", "/bin/sh"];
}

/** Builds one base image into outDir/<kind>.tar (tagged IMAGE_TAGS[kind]) and answers its path. */
export async function buildImage(kind: BaseImage, opts: BuildOptions): Promise<string> {
  const out = imageTarball(kind, opts.outDir);
  if (!opts.force && existsSync(out)) return out;
  await mkdir(opts.outDir, { recursive: true });
  const work = await mkdtemp(join(tmpdir(), `k8ts-image-${kind}-`));
  try {
    const layout = join(work, "oci");
    const bundle = join(work, "bundle");
    const ref = `${layout}:${kind}`;
    await runCommand("umoci", ["init", "--layout", layout]);
    await runCommand("umoci", ["new", "--image", ref]);
    await runCommand("umoci", ["unpack", "--image", ref, bundle]);
    const config = await fillRootfs(kind, join(bundle, "rootfs"), work);
    await runCommand("umoci", ["repack", "--image", ref, bundle]);
    await runCommand("umoci", ["config", "--image", ref, ...config, "--config.env", "PATH=/bin:/usr/bin:/sbin:/usr/sbin", "--os", "linux", "--architecture", ociArch()]);
    // Write next to the target and rename, so a concurrent reader never sees half a tarball.
    const partial = `${out}.${process.pid}.partial`;
    await rm(partial, { force: true });
    await runCommand("skopeo", ["copy", "--quiet", `oci:${ref}`, `docker-archive:${partial}:${IMAGE_TAGS[kind]}`]);
    await rename(partial, out);
    return out;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
