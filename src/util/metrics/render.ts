// Renders registries as one Prometheus text exposition. Families are sorted by name and series by their label text,
// so two scrapes of the same state are byte-identical. Several registries may be merged (the server process shows
// its API server, controller manager and scheduler together): families with one name are combined, and a series
// that two registries both report is shown once (the first registry's).
import { escapeHelp, formatLabels, formatValue } from "./text_format.js";
import type { Collector, Sample } from "./types.js";

/** Anything with collectors: a MetricsRegistry, or an adapter over a component's own counters. */
export interface MetricsSource {
  collectors(): Collector[];
}

export function renderMetrics(sources: Iterable<MetricsSource>): string {
  const byName = new Map<string, { first: Collector; groups: Map<string, Sample[]> }>();
  for (const src of sources) {
    for (const c of src.collectors()) {
      let fam = byName.get(c.name);
      if (!fam) byName.set(c.name, (fam = { first: c, groups: new Map() }));
      else if (fam.first.type !== c.type) throw new Error(`metric ${c.name} is a ${fam.first.type} in one registry and a ${c.type} in another`);
      for (const group of c.collect()) {
        if (group.length === 0) continue;
        const key = formatLabels(seriesLabels(group[0]!));
        if (!fam.groups.has(key)) fam.groups.set(key, group);
      }
    }
  }
  const lines: string[] = [];
  for (const name of [...byName.keys()].sort()) {
    const { first, groups } = byName.get(name)!;
    lines.push(`# HELP ${name} ${escapeHelp(first.help)}`, `# TYPE ${name} ${first.type}`);
    for (const key of [...groups.keys()].sort()) {
      for (const s of groups.get(key)!) lines.push(`${name}${s.suffix}${formatLabels(s.labels)} ${formatValue(s.value)}`);
    }
  }
  return lines.length ? lines.join("\n") + "\n" : "";
}

/** A series' identity: its labels without a histogram bucket's `le`. */
function seriesLabels(s: Sample): Record<string, string> {
  if (!("le" in s.labels) || s.suffix !== "_bucket") return { ...s.labels };
  const { le: _le, ...rest } = s.labels;
  return rest;
}
