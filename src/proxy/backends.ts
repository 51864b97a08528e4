// The rule backend for a mode, so callers (the CLI, the node agent) choose by name.
import { IptablesBackend } from "./iptables_backend.js";
import { NftablesBackend } from "./nftables_backend.js";
import type { CommandRunner, ProxyMode, RenderOptions, RuleBackend } from "./types.js";

export const PROXY_MODES: readonly ProxyMode[] = ["iptables", "nftables"];

export function createBackend(mode: ProxyMode, opts: RenderOptions & { runner: CommandRunner }): RuleBackend {
  return mode === "nftables" ? new NftablesBackend(opts) : new IptablesBackend(opts);
}
