// Copying images between local files and registries with skopeo: a push from a docker-archive tarball (what
// `k8ts image build` writes) or an OCI layout to a registry reached over plain HTTP, and images derived from a
// base by a config change (new labels: a new image id sharing the base's layers).
import { existsSync, statSync } from "node:fs";
import { mkdtemp, rename, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCommand } from "../containerd/command.js";

/**
 * A skopeo source for a local image: "docker-archive:FILE" for a tarball, "oci:DIR:TAG" for an OCI layout directory
 * (DIR or DIR:TAG; the tag defaults to latest), or an explicit transport ("oci-archive:...", "docker-archive:...").
 */
export function localImageSource(spec: string): string {
  if (/^(docker-archive|oci-archive|oci|dir):/.test(spec)) return spec;
  const m = /^(.*?)(?::([\w][\w.-]{0,127}))?$/.exec(spec);
  const path = existsSync(spec) ? spec : (m?.[1] ?? spec);
  const tag = existsSync(spec) ? undefined : m?.[2];
  if (!existsSync(path)) throw new Error(`no image at ${JSON.stringify(path)}`);
  if (statSync(path).isDirectory()) {
    if (!existsSync(join(path, "index.json"))) throw new Error(`${path} is not an OCI layout (no index.json)`);
    return `oci:${path}:${tag ?? "latest"}`;
  }
  return `docker-archive:${path}`;
}

export interface PushOptions {
  /** Verify the registry's TLS certificate (default false: the local registry speaks plain HTTP). */
  tlsVerify?: boolean;
  /** Run skopeo inside this network namespace (under /var/run/netns): a registry only reachable there. */
  netns?: string;
}

/** Copies a local image (see localImageSource) to docker://<dest>, e.g. 127.0.0.1:5000/app:v1. */
export async function pushImage(source: string, dest: string, opts: PushOptions = {}): Promise<void> {
  if (!/^[^/\s]+\/[^\s]+$/.test(dest)) throw new Error(`invalid destination ${JSON.stringify(dest)}: want HOST:PORT/NAME[:TAG]`);
  const args = ["copy", "--quiet", `--dest-tls-verify=${opts.tlsVerify ?? false}`, localImageSource(source), `docker://${dest}`];
  if (opts.netns) await runCommand("nsenter", [`--net=/var/run/netns/${opts.netns}`, "--", "skopeo", ...args]);
  else await runCommand("skopeo", args);
}

/**
 * Writes a docker-archive tarball of an image derived from a base tarball by adding config labels: a distinct image
 * (its own id) that shares the base's layers, tagged ref.
 */
export async function deriveImage(baseTar: string, outTar: string, ref: string, labels: Record<string, string>): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), "k8ts-derive-"));
  try {
    const layout = join(work, "oci");
    await runCommand("skopeo", ["copy", "--quiet", `docker-archive:${baseTar}`, `oci:${layout}:base`]);
    await runCommand("umoci", ["config", "--image", `${layout}:base`, "--tag", "derived", ...Object.entries(labels).flatMap(([k, v]) => ["--config.label", `${k}=${v}`])]);
    const partial = `${outTar}.${process.pid}.partial`;
    await rm(partial, { force: true });
    await runCommand("skopeo", ["copy", "--quiet", `oci:${layout}:derived`, `docker-archive:${partial}:${ref}`]);
    await rename(partial, outTar);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
