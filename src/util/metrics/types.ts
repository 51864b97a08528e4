// The contract between metric families and the text renderer. A collector is asked for its samples at scrape
// time; the renderer owns HELP/TYPE lines, escaping and ordering.

export type MetricType = "counter" | "gauge" | "histogram";

export type Labels = Readonly<Record<string, string>>;

/** One line of the exposition: `<family name><suffix>{labels} value`. */
export interface Sample {
  /** "_bucket", "_sum", "_count" for histograms; "" otherwise. */
  suffix: string;
  labels: Labels;
  value: number;
}

/** A metric family. collect() returns samples grouped by series (a histogram's buckets, sum and count stay together,
 *  buckets in ascending order); the renderer sorts series by their label text, keeping each group's inner order. */
export interface Collector {
  readonly name: string;
  readonly help: string;
  readonly type: MetricType;
  collect(): Sample[][];
}
