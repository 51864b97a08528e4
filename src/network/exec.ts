// Running ip/bridge/iptables/sysctl, optionally inside a named network namespace. nsenter rather than
// `ip netns exec`, which remounts /sys privately (see shared/notes/runtime-on-this-machine.md).
import { spawn } from "node:child_process";
import type { CommandRunner } from "./types.js";

export function execRunner(opts: { netns?: string } = {}): CommandRunner {
  const prefix = opts.netns ? ["nsenter", `--net=/var/run/netns/${opts.netns}`, "--"] : [];
  return {
    run(argv, runOpts = {}) {
      const full = [...prefix, ...argv];
      return new Promise((resolve, reject) => {
        const child = spawn(full[0]!, full.slice(1), { stdio: ["pipe", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
        child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
        child.on("error", (err) => reject(new Error(`cannot run ${full[0]}: ${err.message}`)));
        child.on("close", (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr }));
        child.stdin.on("error", () => {});
        child.stdin.end(runOpts.stdin ?? "");
      });
    },
  };
}

/** Runs and throws, naming the command and quoting its stderr, unless it exits 0. */
export async function mustRun(runner: CommandRunner, argv: string[], opts?: { stdin?: string }): Promise<string> {
  const res = await runner.run(argv, opts);
  if (res.code !== 0) throw new Error(`${argv.join(" ")} exited ${res.code}: ${res.stderr.trim() || res.stdout.trim()}`);
  return res.stdout;
}
