// Counters of the DNS server in Prometheus' text format, named after CoreDNS's (coredns_dns_requests_total and
// friends) with the k8ts_ prefix. Kept in one small object so a later metrics endpoint can export it.
import { rcodeName, typeName } from "./message.js";
import type { Protocol } from "./types.js";

/** Upper bounds (seconds) of the request duration histogram: DNS answers are sub-millisecond to seconds. */
const BUCKETS = [0.00025, 0.0005, 0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512, 1.024, 2.048, 4.096];

function labels(l: Record<string, string>): string {
  const parts = Object.entries(l).map(([k, v]) => `${k}="${v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`);
  return parts.length ? `{${parts.join(",")}}` : "";
}

class Counter {
  private readonly values = new Map<string, number>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}

  inc(l: Record<string, string> = {}, by = 1): void {
    const k = labels(l);
    this.values.set(k, (this.values.get(k) ?? 0) + by);
  }

  get(l: Record<string, string> = {}): number {
    return this.values.get(labels(l)) ?? 0;
  }

  render(): string {
    const rows = [...this.values].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${this.name}${k} ${v}`);
    return [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`, ...rows].join("\n");
  }
}

export class DnsMetrics {
  readonly requests = new Counter("k8ts_dns_requests_total", "DNS requests answered, by query type and response code.");
  readonly requestsByProto = new Counter("k8ts_dns_requests_by_proto_total", "DNS requests received, by transport.");
  readonly truncated = new Counter("k8ts_dns_truncated_total", "UDP responses truncated (TC set) because they did not fit.");
  readonly forwarded = new Counter("k8ts_dns_forward_requests_total", "Queries forwarded to an upstream server, by upstream and outcome.");
  private readonly durationBuckets = new Array<number>(BUCKETS.length).fill(0);
  private durationSum = 0;
  private durationCount = 0;

  observe(o: { protocol: Protocol; type: number; rcode: number; seconds: number; truncated: boolean }): void {
    this.requests.inc({ type: typeName(o.type), rcode: rcodeName(o.rcode) });
    this.requestsByProto.inc({ proto: o.protocol });
    if (o.truncated) this.truncated.inc({ proto: o.protocol });
    BUCKETS.forEach((b, i) => {
      if (o.seconds <= b) this.durationBuckets[i]!++;
    });
    this.durationSum += o.seconds;
    this.durationCount++;
  }

  render(): string {
    const h = "k8ts_dns_request_duration_seconds";
    const hist = [
      `# HELP ${h} Time to answer a DNS request.`,
      `# TYPE ${h} histogram`,
      ...BUCKETS.map((b, i) => `${h}_bucket{le="${b}"} ${this.durationBuckets[i]}`),
      `${h}_bucket{le="+Inf"} ${this.durationCount}`,
      `${h}_sum ${this.durationSum}`,
      `${h}_count ${this.durationCount}`,
    ].join("\n");
    return [this.requests.render(), this.requestsByProto.render(), this.truncated.render(), this.forwarded.render(), hist].join("\n") + "\n";
  }
}
