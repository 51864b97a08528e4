// iptables mode: read the current filter and nat tables (iptables-save), render, apply with one
// `iptables-restore --noflush` (atomic per table; rules outside our chains are left alone).
import { mustRun } from "./command_runner.js";
import { iptablesRules } from "./iptables_rules.js";
import { cleanupText, parseIptablesSave, restoreText } from "./iptables_restore.js";
import type { CommandRunner, ProxyState, RenderOptions, RuleBackend } from "./types.js";

export interface IptablesBackendOptions extends RenderOptions {
  runner: CommandRunner;
}

export class IptablesBackend implements RuleBackend {
  readonly mode = "iptables" as const;

  constructor(private readonly opts: IptablesBackendOptions) {}

  private async existing(): Promise<ReturnType<typeof parseIptablesSave>> {
    const filter = await mustRun(this.opts.runner, ["iptables-save", "-t", "filter"]);
    const nat = await mustRun(this.opts.runner, ["iptables-save", "-t", "nat"]);
    return parseIptablesSave(filter + "\n" + nat);
  }

  async apply(state: ProxyState): Promise<void> {
    const text = restoreText(iptablesRules(state, this.opts), await this.existing());
    await mustRun(this.opts.runner, ["iptables-restore", "--noflush", "-w", "5"], { stdin: text });
  }

  async cleanup(): Promise<void> {
    const text = cleanupText(await this.existing());
    // Nothing of ours: skip the restore, which would otherwise create empty tables as a side effect.
    if (!/^[:-]/m.test(text)) return;
    await mustRun(this.opts.runner, ["iptables-restore", "--noflush", "-w", "5"], { stdin: text });
  }
}
