// The Prometheus text exposition format, version 0.0.4: the escaping and number spelling it prescribes.

export const TEXT_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export function checkMetricName(name: string): void {
  if (!METRIC_NAME.test(name)) throw new Error(`invalid metric name ${JSON.stringify(name)}: want [a-zA-Z_:][a-zA-Z0-9_:]*`);
}

export function checkLabelName(metric: string, label: string): void {
  // Names starting with __ are reserved for Prometheus itself.
  if (!LABEL_NAME.test(label) || label.startsWith("__")) throw new Error(`invalid label name ${JSON.stringify(label)} of metric ${metric}`);
}

/** HELP text escapes backslash and newline only. */
export function escapeHelp(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

/** Label values escape backslash, double quote and newline. */
export function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

/** Sample values and `le` bounds: +Inf, -Inf and NaN spelled as Prometheus reads them, other numbers in JS's
 *  shortest round-trip form (which Prometheus parses as a Go float). */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return String(v);
}

/** `{a="1",b="2"}` in the given key order, or "" for no labels. */
export function formatLabels(labels: Readonly<Record<string, string>>): string {
  const keys = Object.keys(labels);
  if (keys.length === 0) return "";
  return `{${keys.map((k) => `${k}="${escapeLabelValue(labels[k]!)}"`).join(",")}}`;
}
