// Runs the real kubectl binaries against a k8ts server started in this process, the way a user would.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startServer } from "../daemons/server.js";
import { silentLogger } from "../util/log.js";

/** The dispatcher picks kubectl.1.<minor> from /version; the versioned binaries are run directly too. */
export const KUBECTL = "/usr/bin/kubectl";
export const KUBECTL_BIN = (minor: number): string => `/usr/lib/google-cloud-sdk/bin/kubectl.1.${minor}`;

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface Cluster {
  url: string;
  dir: string;
  kubeconfig: string;
  /** Runs kubectl (default: the dispatcher) with this cluster's kubeconfig; never throws on a non-zero exit. */
  kubectl(args: string[], opts?: { bin?: string; input?: string; env?: Record<string, string>; timeoutMs?: number }): Promise<KubectlResult>;
  /** Like kubectl() but fails with the output when the exit code is not 0. */
  ok(args: string[], opts?: { bin?: string; input?: string; env?: Record<string, string> }): Promise<string>;
  /** Starts a long-running kubectl (e.g. get -w) and returns it with its collected output. */
  background(args: string[], opts?: { bin?: string }): { proc: ChildProcess; output: () => string };
  file(name: string, text: string): string;
  stop(): Promise<void>;
}

export interface ClusterOptions {
  /** Run the controller manager and scheduler in the server process (default true, as `k8ts server` does). */
  controllers?: boolean;
}

/** Runs kubectl binaries with one kubeconfig and a private HOME (so no user's ~/.kube is read or written). */
export function kubectlRunner(kubeconfig: string, home: string): { kubectl: Cluster["kubectl"]; ok: Cluster["ok"]; env: (extra?: Record<string, string>) => NodeJS.ProcessEnv } {
  const env = (extra?: Record<string, string>): NodeJS.ProcessEnv => ({
    PATH: process.env.PATH,
    HOME: home,
    KUBECONFIG: kubeconfig,
    ...extra,
  });
  const kubectl: Cluster["kubectl"] = (args, opts = {}) =>
    new Promise((resolve) => {
      const child = execFile(
        opts.bin ?? KUBECTL,
        args,
        { env: env(opts.env), timeout: opts.timeoutMs ?? 60_000, maxBuffer: 32 << 20 },
        (err, stdout, stderr) => {
          const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
          resolve({ code, stdout: String(stdout), stderr: String(stderr) });
        },
      );
      if (opts.input !== undefined) child.stdin?.end(opts.input);
      else child.stdin?.end();
    });
  const ok: Cluster["ok"] = async (args, opts) => {
    const r = await kubectl(args, opts);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(" ")} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    return r.stdout;
  };
  return { kubectl, ok, env };
}

export async function startCluster(opts: ClusterOptions = {}): Promise<Cluster> {
  const dir = mkdtempSync(join(tmpdir(), "k8ts-e2e-"));
  const withControllers = opts.controllers ?? true;
  const server = await startServer({ dataDir: join(dir, "server"), port: 0, bindAddress: "127.0.0.1", controllers: withControllers, scheduler: withControllers, logger: silentLogger });
  const kubeconfig = join(dir, "server", "kubeconfig.yaml");
  if (!existsSync(kubeconfig)) throw new Error(`server did not write ${kubeconfig}`);
  const { kubectl, ok, env } = kubectlRunner(kubeconfig, join(dir, "home"));
  const procs: ChildProcess[] = [];
  return {
    url: server.url,
    dir,
    kubeconfig,
    kubectl,
    ok,
    background(args, opts = {}) {
      const proc = spawn(opts.bin ?? KUBECTL, args, { env: env(), stdio: ["ignore", "pipe", "pipe"] });
      procs.push(proc);
      let out = "";
      proc.stdout!.on("data", (d: Buffer) => (out += d.toString()));
      proc.stderr!.on("data", (d: Buffer) => (out += d.toString()));
      return { proc, output: () => out };
    },
    file(name, text) {
      const p = join(dir, name);
      writeFileSync(p, text);
      return p;
    },
    async stop() {
      for (const p of procs) if (p.exitCode === null && p.pid) p.kill("SIGKILL");
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls fn until it returns a truthy value or the deadline passes (then returns the last value). */
export async function eventually<T>(fn: () => Promise<T>, opts: { timeoutMs?: number; intervalMs?: number } = {}): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 20_000);
  for (;;) {
    const v = await fn();
    if (v || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 100));
  }
}
