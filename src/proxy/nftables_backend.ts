// nftables mode: the whole table is rendered and swapped in one `nft -f -` transaction.
import { mustRun } from "./command_runner.js";
import { nftablesCleanup, nftablesRules } from "./nftables_rules.js";
import type { CommandRunner, ProxyState, RenderOptions, RuleBackend } from "./types.js";

export interface NftablesBackendOptions extends RenderOptions {
  runner: CommandRunner;
}

export class NftablesBackend implements RuleBackend {
  readonly mode = "nftables" as const;

  constructor(private readonly opts: NftablesBackendOptions) {}

  async apply(state: ProxyState): Promise<void> {
    await mustRun(this.opts.runner, ["nft", "-f", "-"], { stdin: nftablesRules(state, this.opts) });
  }

  async cleanup(): Promise<void> {
    await mustRun(this.opts.runner, ["nft", "-f", "-"], { stdin: nftablesCleanup() });
  }
}
