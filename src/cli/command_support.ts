// What every long-running subcommand does the same way: parse its flags (printing usage on an error or on --help)
// and build an API client from --server or a kubeconfig.
import { defaultKubeconfigPath, loadKubeconfig } from "../client/kubeconfig.js";
import { createClient, type Client } from "../client/rest_client.js";
import type { Logger } from "../util/log.js";

/** Parses flags; on a bad flag prints the error and usage (exit code 2), on --help prints usage (exit code 0). */
export function parseFlagsOrExit<F extends { help?: boolean }>(
  command: string,
  args: string[],
  opts: { parse: (args: string[]) => F; usage: string },
): { flags: F } | { exitCode: number } {
  let flags: F;
  try {
    flags = opts.parse(args);
  } catch (err) {
    process.stderr.write(`k8ts ${command}: ${(err as Error).message}\n\n${opts.usage}`);
    return { exitCode: 2 };
  }
  if (flags.help) {
    process.stdout.write(opts.usage);
    return { exitCode: 0 };
  }
  return { flags };
}

/** An API client from --server URL, else the kubeconfig (--kubeconfig, a fallback, then $KUBECONFIG or
 *  ~/.kube/config); undefined (after logging why) when the configuration cannot be read. */
export function apiClientFromFlags(
  flags: { server?: string; kubeconfig?: string },
  opts: { userAgent: string; logger: Logger; kubeconfigFallback?: string },
): Client | undefined {
  try {
    const conn = flags.server ? { server: flags.server } : loadKubeconfig(flags.kubeconfig ?? opts.kubeconfigFallback ?? defaultKubeconfigPath());
    return createClient({ ...conn, userAgent: opts.userAgent });
  } catch (err) {
    opts.logger.error("cannot reach the API server configuration", { err });
    return undefined;
  }
}

/** A duration flag value: "15s", "1m", "500ms", "2m30s", or plain seconds; milliseconds. */
export function parseDuration(v: string): number {
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  let total = 0;
  let consumed = 0;
  for (const m of v.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) {
    total += Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as "ms" | "s" | "m" | "h"];
    consumed += m[0].length;
  }
  if (consumed !== v.length || consumed === 0) throw new Error(`invalid duration ${JSON.stringify(v)}`);
  return total;
}

/** A boolean flag value: true/1 or false/0. */
export function parseBool(flag: string, v: string): boolean {
  if (v === "true" || v === "1") return true;
  if (v === "false" || v === "0") return false;
  throw new Error(`invalid ${flag} ${JSON.stringify(v)}: must be true or false`);
}
