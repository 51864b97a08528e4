// Runs a helper program (ctr, umoci, skopeo, gcc, ip, ...) to completion and answers its stdout; a failure throws an
// Error naming the command line and carrying its stderr, so callers can report what went wrong without a shell.
import { execFile } from "node:child_process";

export interface RunOptions {
  cwd?: string;
  /** Kills the program after this long (default 2 minutes: image builds are the slowest callers). */
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

const DEFAULT_TIMEOUT_MS = 120_000;
/** Image tarballs listed by ctr can be long; 64 MiB of output is far above anything these tools print. */
const MAX_BUFFER = 64 * 1024 * 1024;

export function runCommand(file: string, args: string[], opts: RunOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { cwd: opts.cwd, env: opts.env, timeout: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS, maxBuffer: MAX_BUFFER, encoding: "utf8" }, (err, stdout, stderr) => {
      if (err) {
        const detail = (stderr || err.message).trim().split("\n").slice(-5).join("; ");
        reject(new Error(`${file} ${args.join(" ")}: ${detail}`));
      } else resolve(stdout);
    });
  });
}
