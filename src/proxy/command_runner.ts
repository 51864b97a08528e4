// Running iptables/nft/conntrack/sysctl, optionally inside a named network namespace. nsenter is used rather than
// `ip netns exec`, which remounts /sys privately (see the runtime notes).
import { spawn } from "node:child_process";
import type { CommandResult, CommandRunner } from "./types.js";

export interface ExecRunnerOptions {
  /** A namespace under /var/run/netns to run every command in. */
  netns?: string;
}

export function netnsPath(name: string): string {
  return `/var/run/netns/${name}`;
}

export function execRunner(opts: ExecRunnerOptions = {}): CommandRunner {
  const prefix = opts.netns ? ["nsenter", `--net=${netnsPath(opts.netns)}`, "--"] : [];
  return {
    run(argv, runOpts = {}) {
      const full = [...prefix, ...argv];
      return new Promise<CommandResult>((resolve, reject) => {
        const child = spawn(full[0]!, full.slice(1), { stdio: ["pipe", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
        child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
        child.on("error", (err) => reject(new Error(`cannot run ${full[0]}: ${err.message}`)));
        child.on("close", (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr }));
        // A program that exits without reading stdin would make the write fail with EPIPE; its exit code tells.
        child.stdin.on("error", () => {});
        child.stdin.end(runOpts.stdin ?? "");
      });
    },
  };
}

/** Runs a command and throws, naming it and quoting its stderr, unless it exits 0. */
export async function mustRun(runner: CommandRunner, argv: string[], opts?: { stdin?: string }): Promise<string> {
  const res = await runner.run(argv, opts);
  if (res.code !== 0) throw new Error(`${argv.join(" ")} exited ${res.code}: ${res.stderr.trim() || res.stdout.trim()}`);
  return res.stdout;
}
