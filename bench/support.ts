// Small pieces the benchmarks share: a bounded-concurrency runner, child-process helpers, and loading the product
// from its compiled or its source build.
import { spawnSync, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Clock ticks per second of /proc/PID/stat's CPU times (getconf CLK_TCK on Linux). */
const CLK_TCK = 100;

/** CPU seconds (user + system, all threads) another process has used so far, from /proc (Linux); NaN where that is
 *  not readable (not Linux, or the process is gone). */
export function processCpuSec(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) / CLK_TCK; // utime, stime (fields 14 and 15 of proc(5))
  } catch {
    return NaN;
  }
}

/** Runs n jobs with at most `width` in flight; answers the wall time in ms. */
export async function pool(n: number, width: number, job: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(width, n) }, async () => {
      while (next < n) await job(next++);
    }),
  );
  return performance.now() - t0;
}

/** The child's first line of stdout (children print how to reach them there); rejects if it exits first. */
export function firstLine(child: ChildProcess, what: string): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once("line", resolve);
    child.once("exit", (c) => reject(new Error(`${what} exited ${c}`)));
  });
}

/** SIGTERM, then wait for the exit. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await exited;
}

/**
 * Where a benchmark takes the product's code from: "dist", the compiled JavaScript `k8ts` runs (bin/k8ts.js loads
 * dist/), or "src", the TypeScript sources through tsx's loader (what `node --import tsx --test` runs). Benchmarks
 * measure "dist" by default: tsx adds a wrapper per named function (`__name`) and its own module loading, ~5% of
 * the API server's CPU per request.
 */
export type ProductBuild = "dist" | "src";

/**
 * The build named by a `--from=` option (default dist). For dist, `npm run build`'s compile runs first (incremental:
 * seconds when nothing changed) so the benchmark never measures stale output; `build: false` (--build=no) takes
 * dist/ as it is.
 */
export function productBuild(from: string | undefined, opts: { build?: boolean } = {}): ProductBuild {
  const b = from ?? "dist";
  if (b !== "dist" && b !== "src") throw new Error(`--from must be dist or src, not ${b}`);
  if (b === "dist" && opts.build !== false) {
    const root = fileURLToPath(new URL("..", import.meta.url));
    const tsc = spawnSync(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", join(root, "tsconfig.json")], { stdio: "inherit" });
    if (tsc.status !== 0) throw new Error(`compiling dist/ failed (exit ${tsc.status}): fix the type errors, or pass --from=src`);
  }
  return b;
}

/** Imports a product module, named by its path under src/ without extension ("daemons/server"), from a build. */
export function loadProduct<T>(build: ProductBuild, path: string): Promise<T> {
  return import(new URL(`../${build}/${path}.js`, import.meta.url).href) as Promise<T>;
}
