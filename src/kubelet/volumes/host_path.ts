// hostPath volumes: the path on the node, checked (or created) per the volume's type before the pod's containers
// start, with the messages Kubernetes gives.
import { closeSync, openSync } from "node:fs";
import { mkdir, stat } from "node:fs/promises";
import type { HostPathVolumeSource } from "kubernetes-types/core/v1.js";
import { ConfigError } from "../env/field_ref.js";

type Kind = "directory" | "file" | "socket" | "char device" | "block device";

async function kindOf(path: string): Promise<Kind | "other" | undefined> {
  try {
    const s = await stat(path);
    if (s.isDirectory()) return "directory";
    if (s.isFile()) return "file";
    if (s.isSocket()) return "socket";
    if (s.isCharacterDevice()) return "char device";
    if (s.isBlockDevice()) return "block device";
    return "other";
  } catch {
    return undefined;
  }
}

const WANT: Record<string, Kind> = { Directory: "directory", File: "file", Socket: "socket", CharDevice: "char device", BlockDevice: "block device" };

/** Checks the path against the volume's type (creating it for the *OrCreate types); answers the path. */
export async function prepareHostPath(src: HostPathVolumeSource): Promise<string> {
  const path = src.path;
  const type = src.type ?? "";
  const kind = await kindOf(path);
  switch (type) {
    case "":
      return path;
    case "DirectoryOrCreate":
      // 0755 like Kubernetes; the pod sees the directory owned by root.
      if (kind === undefined) await mkdir(path, { recursive: true, mode: 0o755 });
      else if (kind !== "directory") throw new ConfigError(`hostPath type check failed: ${path} is not a directory`);
      return path;
    case "FileOrCreate":
      if (kind === undefined) {
        try {
          // "a": creates the file without truncating one that appeared meanwhile. The parent must exist, as in Kubernetes.
          closeSync(openSync(path, "a", 0o644));
        } catch (err) {
          throw new ConfigError(`hostPath ${path}: cannot create the file: ${(err as Error).message}`);
        }
      } else if (kind !== "file") throw new ConfigError(`hostPath type check failed: ${path} is not a file`);
      return path;
    default: {
      const want = WANT[type];
      if (!want) throw new ConfigError(`hostPath ${path}: unknown type ${JSON.stringify(type)}`);
      if (kind === undefined) throw new ConfigError(`hostPath type check failed: ${path} does not exist`);
      if (kind !== want) throw new ConfigError(`hostPath type check failed: ${path} is not a ${want}`);
      return path;
    }
  }
}
