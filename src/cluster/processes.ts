// The cluster's processes: started detached (own session, so a ^C to `cluster up` does not reach them) with their
// output in a log file and an environment marker naming the cluster directory. The marker is inherited by what they
// start (containerd), so `down` can find every process of the cluster by PID even when the state file missed one,
// and never signals a PID that was reused by something else.
import { spawn } from "node:child_process";
import { closeSync, openSync, readdirSync, readFileSync } from "node:fs";

export const CLUSTER_ENV = "K8TS_CLUSTER_DIR";

export interface SpawnSpec {
  argv: string[];
  logFile: string;
  clusterDir: string;
  cwd?: string;
  /** Network namespace (under /var/run/netns) to run in, entered with nsenter. */
  netns?: string;
}

export function spawnDetached(spec: SpawnSpec): number {
  const argv = spec.netns ? ["nsenter", `--net=/var/run/netns/${spec.netns}`, "--", ...spec.argv] : spec.argv;
  const out = openSync(spec.logFile, "a");
  try {
    const child = spawn(argv[0]!, argv.slice(1), { detached: true, stdio: ["ignore", out, out], cwd: spec.cwd, env: { ...process.env, [CLUSTER_ENV]: spec.clusterDir } });
    if (!child.pid) throw new Error(`cannot start ${argv.join(" ")}`);
    child.unref();
    return child.pid;
  } finally {
    closeSync(out);
  }
}

function markerOf(pid: number): string | undefined {
  try {
    const env = readFileSync(`/proc/${pid}/environ`, "utf8").split("\0");
    return env.find((e) => e.startsWith(`${CLUSTER_ENV}=`))?.slice(CLUSTER_ENV.length + 1);
  } catch {
    return undefined;
  }
}

function isZombie(pid: number): boolean {
  try {
    return /\) Z /.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return true;
  }
}

/** True when pid is alive and one of this cluster's processes. */
export function isClusterProcess(pid: number | undefined, clusterDir: string): boolean {
  return !!pid && markerOf(pid) === clusterDir && !isZombie(pid);
}

/** Every live process carrying this cluster's marker. */
export function clusterPids(clusterDir: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    if (pid !== process.pid && isClusterProcess(pid, clusterDir)) out.push(pid);
  }
  return out;
}

const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** SIGKILLs every process of the cluster at once, as a machine crash would (tests of recovery); none is waited for. */
export function killClusterProcesses(clusterDir: string): void {
  for (const pid of clusterPids(clusterDir)) signal(pid, "SIGKILL");
}

/** SIGTERM the given processes of the cluster, SIGKILL whatever is left after graceMs; resolves when all are gone. */
export async function stopProcesses(pids: number[], clusterDir: string, graceMs = 10_000): Promise<void> {
  const mine = pids.filter((p) => isClusterProcess(p, clusterDir));
  for (const pid of mine) signal(pid, "SIGTERM");
  const deadline = Date.now() + graceMs;
  while (mine.some((p) => isClusterProcess(p, clusterDir)) && Date.now() < deadline) await delay(50);
  for (const pid of mine) if (isClusterProcess(pid, clusterDir)) signal(pid, "SIGKILL");
  while (mine.some((p) => isClusterProcess(p, clusterDir))) await delay(20);
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // gone already
  }
}
