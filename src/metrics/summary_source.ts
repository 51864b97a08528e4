// The default NodeStatsSource: GET http://<InternalIP>:<kubelet port>/stats/summary, as metrics-server scrapes
// each kubelet. A resolver may point nodes elsewhere (tests, nodes reachable only through a tunnel).
import http from "node:http";
import type { NodeAddressing, NodeStatsSource, StatsSummary } from "./types.js";

export interface HttpSummarySourceOptions {
  /** Base URL of a node's agent; default http://<address>:<port>. Undefined: the node cannot be scraped. */
  nodeUrl?: (node: NodeAddressing) => string | undefined;
  /** A scrape slower than this fails, so one dead node cannot hold up a round (default 10 s, metrics-server's). */
  timeoutMs?: number;
}

/** Nodes `k8ts sim` runs in one process: they serve no endpoints, and their InternalIPs route nowhere useful. */
export const HOLLOW_NODE_LABEL = "k8ts.io/hollow";

export function defaultNodeUrl(node: NodeAddressing): string | undefined {
  if (!node.address || !node.port || node.labels?.[HOLLOW_NODE_LABEL] === "true") return undefined;
  const host = node.address.includes(":") ? `[${node.address}]` : node.address;
  return `http://${host}:${node.port}`;
}

export class HttpSummarySource implements NodeStatsSource {
  private readonly agent = new http.Agent({ keepAlive: true });

  constructor(private readonly opts: HttpSummarySourceOptions = {}) {}

  reachable(node: NodeAddressing): boolean {
    return (this.opts.nodeUrl ?? defaultNodeUrl)(node) !== undefined;
  }

  summary(node: NodeAddressing, signal?: AbortSignal): Promise<StatsSummary> {
    const base = (this.opts.nodeUrl ?? defaultNodeUrl)(node);
    if (!base) return Promise.reject(new Error(`node ${node.name}: no InternalIP or kubelet port to scrape`));
    // Relative to the base, so a base with a path (a proxy in front of the agent) keeps it.
    const url = new URL("stats/summary", base.endsWith("/") ? base : `${base}/`);
    const timeoutMs = this.opts.timeoutMs ?? 10_000;
    return new Promise((resolve, reject) => {
      const req = http.get(url, { agent: this.agent, signal, headers: { Accept: "application/json" } }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          if (res.statusCode !== 200) return reject(new Error(`node ${node.name}: GET ${url.href}: ${res.statusCode} ${text.slice(0, 200)}`));
          try {
            resolve(JSON.parse(text) as StatsSummary);
          } catch (err) {
            reject(new Error(`node ${node.name}: GET ${url.href}: bad JSON: ${(err as Error).message}`));
          }
        });
      });
      req.setTimeout(timeoutMs, () => req.destroy(new Error(`node ${node.name}: GET ${url.href}: no answer within ${timeoutMs} ms`)));
      req.on("error", reject);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
