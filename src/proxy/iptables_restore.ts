// Turning desired rules into one iptables-restore --noflush input, given what iptables-save shows now: our chains
// are declared (which flushes them) and refilled, stale per-service chains are deleted, and missing jumps from the
// built-in chains are inserted, all in one transaction per table. Chains of anyone else are never touched.
import { FIXED_CHAINS, JUMPS, PER_SERVICE_CHAIN, type IptablesRules, type TableName } from "./iptables_rules.js";

export interface ExistingTable {
  chains: Set<string>;
  rules: string[];
}

export type ExistingIptables = Record<TableName, ExistingTable>;

const TABLES: TableName[] = ["filter", "nat"];

export function emptyExisting(): ExistingIptables {
  return { filter: { chains: new Set(), rules: [] }, nat: { chains: new Set(), rules: [] } };
}

/** The chains and rules of the filter and nat tables in `iptables-save` output. */
export function parseIptablesSave(text: string): ExistingIptables {
  const out = emptyExisting();
  let table: ExistingTable | undefined;
  for (const line of text.split("\n")) {
    if (line.startsWith("*")) table = TABLES.includes(line.slice(1) as TableName) ? out[line.slice(1) as TableName] : undefined;
    else if (!table) continue;
    else if (line.startsWith(":")) table.chains.add(line.slice(1).split(" ")[0]!);
    else if (line.startsWith("-A ")) table.rules.push(line);
  }
  return out;
}

/** Whether a jump is already in place (iptables-save prints rules in the same canonical order we write them). */
function hasJump(existing: ExistingTable, chain: string, spec: string): boolean {
  return existing.rules.includes(`-A ${chain} ${spec}`);
}

export function restoreText(desired: IptablesRules, existing: ExistingIptables): string {
  const lines: string[] = [];
  for (const t of TABLES) {
    const want = new Set(desired[t].chains);
    const stale = [...existing[t].chains].filter((c) => PER_SERVICE_CHAIN.test(c) && !want.has(c)).sort();
    lines.push(`*${t}`);
    for (const c of desired[t].chains) lines.push(`:${c} - [0:0]`);
    for (const c of stale) lines.push(`:${c} - [0:0]`);
    for (const { chain, spec } of JUMPS[t]) if (!hasJump(existing[t], chain, spec)) lines.push(`-I ${chain} ${spec}`);
    lines.push(...desired[t].rules);
    for (const c of stale) lines.push(`-X ${c}`);
    lines.push("COMMIT");
  }
  return lines.join("\n") + "\n";
}

/** Input removing everything of ours: our jumps, then our chains (flushed by declaration, then deleted). */
export function cleanupText(existing: ExistingIptables): string {
  const lines: string[] = [];
  for (const t of TABLES) {
    const ours = [...existing[t].chains].filter((c) => FIXED_CHAINS[t].includes(c) || PER_SERVICE_CHAIN.test(c)).sort();
    lines.push(`*${t}`);
    for (const c of ours) lines.push(`:${c} - [0:0]`);
    for (const { chain, spec } of JUMPS[t]) if (hasJump(existing[t], chain, spec)) lines.push(`-D ${chain} ${spec}`);
    for (const c of ours) lines.push(`-X ${c}`);
    lines.push("COMMIT");
  }
  return lines.join("\n") + "\n";
}
