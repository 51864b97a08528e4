// The API server's request metrics under Kubernetes' names and labels, so its dashboards and alerts work:
// apiserver_request_total and apiserver_request_duration_seconds by verb (LIST, GET, WATCH, POST, PUT, PATCH,
// APPLY, DELETE, DELETECOLLECTION, CONNECT), group, version, resource, subresource, scope, component and code;
// apiserver_current_inflight_requests (short requests, by readOnly/mutating) and apiserver_longrunning_requests
// (open watches and streams).
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Counter, CounterChild } from "../util/metrics/counter.js";
import type { Gauge, GaugeChild } from "../util/metrics/gauge.js";
import type { Histogram, HistogramChild } from "../util/metrics/histogram.js";
import { MetricsRegistry } from "../util/metrics/registry.js";
import { renderMetrics, type MetricsSource } from "../util/metrics/render.js";
import { TEXT_CONTENT_TYPE } from "../util/metrics/text_format.js";
import type { PathInfo, ResourceRequestInfo } from "./request_info.js";

/** Kubernetes' buckets for apiserver_request_duration_seconds (5 ms to 60 s). */
export const REQUEST_DURATION_BUCKETS = [0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1, 1.25, 1.5, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 45, 60];

const REQUEST_LABELS = ["verb", "dry_run", "group", "version", "resource", "subresource", "scope", "component"] as const;
type RequestLabels = Record<(typeof REQUEST_LABELS)[number], string>;

/** Subresources that open a stream to a node (exec, attach, port-forward) or proxy through it: Kubernetes' CONNECT. */
const CONNECT_SUBRESOURCES = new Set(["exec", "attach", "portforward", "proxy"]);
const VERBS: Record<string, string> = { get: "GET", list: "LIST", watch: "WATCH", create: "POST", update: "PUT", patch: "PATCH", delete: "DELETE", deletecollection: "DELETECOLLECTION" };
const READ_ONLY = new Set(["GET", "LIST", "HEAD"]);

export class ApiServerMetrics {
  readonly registry = new MetricsRegistry();
  private readonly requests: Counter;
  private readonly durations: Histogram;
  private readonly inflight: Gauge;
  private readonly longrunning: Gauge;
  private readonly now: () => number;

  constructor(opts: { objectCounts?: () => Array<{ resource: string; count: number }>; now?: () => number } = {}) {
    this.now = opts.now ?? (() => performance.now());
    const r = this.registry;
    const counts = opts.objectCounts;
    if (counts) {
      r.gaugeFunc({
        name: "apiserver_storage_objects",
        help: "Number of stored objects at the time of last check split by kind.",
        labelNames: ["resource"],
        collect: () => counts().map(({ resource, count }) => ({ labels: { resource }, value: count })),
      });
    }
    this.requests = r.counter({
      name: "apiserver_request_total",
      help: "Counter of apiserver requests broken out for each verb, dry run value, group, version, resource, scope, component, and HTTP response code.",
      labelNames: [...REQUEST_LABELS, "code"],
    });
    this.durations = r.histogram({
      name: "apiserver_request_duration_seconds",
      help: "Response latency distribution in seconds for each verb, dry run value, group, version, resource, subresource, scope and component.",
      labelNames: REQUEST_LABELS,
      buckets: REQUEST_DURATION_BUCKETS,
    });
    this.inflight = r.gauge({ name: "apiserver_current_inflight_requests", help: "Maximal number of currently used inflight request limit of this apiserver per request kind in last second.", labelNames: ["request_kind"] });
    this.inflight.set({ request_kind: "readOnly" }, 0);
    this.inflight.set({ request_kind: "mutating" }, 0);
    this.longrunning = r.gauge({ name: "apiserver_longrunning_requests", help: "Gauge of all active long-running apiserver requests broken out by verb, group, version, resource, scope and component. Not all requests are tracked this way.", labelNames: REQUEST_LABELS });
  }

  /** The series seen, by resource (non-resource requests under ""), each resource's few series in a list compared
   *  label by label: a request finds its series without building a key of all its labels (a long string made and
   *  hashed on every request was most of this function's cost). */
  private readonly series = new Map<string, RequestSeries[]>();

  /** Tracks the request as in flight (or long-running) now; the returned function counts it by code and observes
   *  its duration, and is to be called once when the response ends or the client goes away (its "close").
   *  `parsed` and `query` are the request's parsed target (parsePath), which the router parses anyway. */
  instrument(req: IncomingMessage, res: ServerResponse, parsed: PathInfo, query: URLSearchParams): () => void {
    const started = this.now();
    // node:http gives the method as the parser knows it, upper case: not converted again on every request.
    const method = req.method ?? "GET";
    const dryRun = query.has("dryRun") ? query.getAll("dryRun").sort().join(",") : "";
    const info = parsed.kind === "resource" ? parsed.info : undefined;
    const verb = info ? verbOf(info, method, req.headers["content-type"]) : method;
    const resource = info?.resource ?? "";
    let list = this.series.get(resource);
    if (!list) {
      list = [];
      this.series.set(resource, list);
    }
    const group = info?.group ?? "";
    const version = info?.version ?? "";
    const subresource = info?.subresource ?? "";
    const scope = info ? scopeOf(info) : "";
    let series: RequestSeries | undefined;
    for (const c of list) {
      const l = c.labels;
      if (l.verb === verb && l.subresource === subresource && l.scope === scope && l.group === group && l.version === version && l.dry_run === dryRun) {
        series = c;
        break;
      }
    }
    if (!series) {
      series = this.newSeries(labelsOf(info, verb, dryRun));
      list.push(series);
    }
    const s = series;
    s.gauge.inc();
    return () => {
      s.gauge.dec();
      const code = res.statusCode;
      let counter = s.byCode.get(code);
      if (!counter) {
        counter = this.requests.with({ ...s.labels, code: String(code) });
        s.byCode.set(code, counter);
      }
      counter.inc();
      s.duration.observe((this.now() - started) / 1000);
    };
  }

  private newSeries(labels: RequestLabels): RequestSeries {
    const long = labels.verb === "WATCH" || labels.verb === "CONNECT";
    const gauge = long ? this.longrunning.with(labels) : this.inflight.with({ request_kind: READ_ONLY.has(labels.verb) ? "readOnly" : "mutating" });
    return { labels, gauge, duration: this.durations.with(labels), byCode: new Map() };
  }
}

interface RequestSeries {
  labels: RequestLabels;
  gauge: GaugeChild;
  duration: HistogramChild;
  byCode: Map<number, CounterChild>;
}

/** Labels as Kubernetes' CleanVerb and CleanScope compute them (a non-resource request has only verb and dry_run). */
function labelsOf(info: ResourceRequestInfo | undefined, verb: string, dryRun: string): RequestLabels {
  if (!info) return { verb, dry_run: dryRun, group: "", version: "", resource: "", subresource: "", scope: "", component: "apiserver" };
  return {
    verb,
    dry_run: dryRun,
    group: info.group,
    version: info.version,
    resource: info.resource,
    subresource: info.subresource ?? "",
    scope: scopeOf(info),
    component: "apiserver",
  };
}

function verbOf(info: ResourceRequestInfo, method: string, contentType: string | undefined): string {
  if (info.watch || info.verb === "watch") return "WATCH";
  if (info.subresource && CONNECT_SUBRESOURCES.has(info.subresource)) return "CONNECT";
  if (info.verb === "patch" && contentType?.startsWith("application/apply-patch")) return "APPLY";
  return VERBS[info.verb] ?? method;
}

function scopeOf(info: ResourceRequestInfo): string {
  if (info.name || info.verb === "create") return "resource";
  if (info.namespace) return "namespace";
  return "cluster";
}

/** Writes GET /metrics: the API server's registries, the process metrics and any in-process component's. */
export function writeMetrics(res: ServerResponse, sources: Iterable<MetricsSource>): void {
  const body = renderMetrics(sources);
  res.writeHead(200, { "Content-Type": TEXT_CONTENT_TYPE, "Content-Length": Buffer.byteLength(body), "Cache-Control": "no-cache, private" });
  res.end(body);
}
