// Writes a set of files into a volume directory so readers never see a half-updated set, the way Kubernetes does:
// the files live in a fresh hidden directory "..<timestamp>", the symlink "..data" points at it and is swapped with a
// rename (atomic), and each user-visible top-level entry is a symlink through "..data". A container that mounted the
// volume directory sees the new contents in place. Writing the same payload again changes nothing.
import { lstat, mkdir, readdir, readFile, readlink, rename, rm, stat, symlink, writeFile, chmod } from "node:fs/promises";
import { dirname, join, normalize, sep } from "node:path";

export interface FileProjection {
  data: Buffer;
  /** Permission bits, e.g. 0o644. */
  mode: number;
}

/** Relative path -> contents. */
export type Payload = Map<string, FileProjection>;

const DATA_LINK = "..data";
const DATA_TMP_LINK = "..data_tmp";

/** A payload path must stay inside the volume and may not start with "..". */
export function validatePayloadPath(p: string): string | undefined {
  if (p === "") return "path must not be empty";
  if (p.startsWith("/")) return `path ${JSON.stringify(p)} must be relative`;
  if (p.length > 4096) return `path ${JSON.stringify(p.slice(0, 20))}... is too long`;
  const parts = p.split("/");
  if (parts.includes("..")) return `path ${JSON.stringify(p)} must not contain '..'`;
  if (p.startsWith("..")) return `path ${JSON.stringify(p)} must not start with '..'`;
  return undefined;
}

const exists = (p: string): Promise<boolean> => lstat(p).then(() => true, () => false);

async function currentPayloadMatches(tsDir: string, payload: Payload): Promise<boolean> {
  for (const [rel, f] of payload) {
    try {
      const full = join(tsDir, rel);
      const [data, st] = await Promise.all([readFile(full), stat(full)]);
      if (!data.equals(f.data) || (st.mode & 0o7777) !== f.mode) return false;
    } catch {
      return false;
    }
  }
  // Files that left the payload also count as a change.
  const count = async (d: string): Promise<number> => {
    let n = 0;
    for (const e of await readdir(d, { withFileTypes: true })) n += e.isDirectory() ? await count(join(d, e.name)) : 1;
    return n;
  };
  return (await count(tsDir)) === payload.size;
}

function timestampDirName(now: Date): string {
  const iso = now.toISOString().replace(/[-:]/g, "_").replace("T", "_").replace("Z", "");
  return `..${iso}.${Math.random().toString(36).slice(2, 10)}`;
}

/** Writes the payload into dir; answers true when the visible contents changed. */
export async function writeAtomically(dir: string, payload: Payload, opts: { now?: Date } = {}): Promise<boolean> {
  for (const rel of payload.keys()) {
    const bad = validatePayloadPath(rel);
    if (bad) throw new Error(`volume ${dir}: ${bad}`);
  }
  await mkdir(dir, { recursive: true });
  const dataLink = join(dir, DATA_LINK);
  const oldTs = (await exists(dataLink)) ? await readlink(dataLink) : undefined;
  if (oldTs && (await currentPayloadMatches(join(dir, oldTs), payload))) return false;

  const tsName = timestampDirName(opts.now ?? new Date());
  const tsDir = join(dir, tsName);
  await mkdir(tsDir, { mode: 0o755 });
  for (const [rel, f] of payload) {
    const full = join(tsDir, normalize(rel));
    await mkdir(dirname(full), { recursive: true, mode: 0o755 });
    await writeFile(full, f.data);
    // chmod after the write: the process umask must not narrow the requested mode.
    await chmod(full, f.mode);
  }
  const tmpLink = join(dir, DATA_TMP_LINK);
  await rm(tmpLink, { force: true });
  await symlink(tsName, tmpLink);
  await rename(tmpLink, dataLink);

  const wanted = new Set([...payload.keys()].map((p) => p.split(sep)[0]!));
  for (const top of wanted) {
    const link = join(dir, top);
    if (!(await exists(link))) await symlink(join(DATA_LINK, top), link);
  }
  for (const entry of await readdir(dir)) {
    if (entry.startsWith("..") || wanted.has(entry)) continue;
    await rm(join(dir, entry), { recursive: true, force: true });
  }
  if (oldTs) await rm(join(dir, oldTs), { recursive: true, force: true });
  return true;
}
