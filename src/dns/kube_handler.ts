// Cluster DNS answers, as CoreDNS's kubernetes plugin gives them (with `pods verified` and `fallthrough` of
// reverse zones to the forwarder):
//   <svc>.<ns>.svc.<zone>                 A/AAAA of the service (cluster IPs, or ready endpoints if headless)
//   <endpoint>.<svc>.<ns>.svc.<zone>      A/AAAA of one endpoint (hostname or dashed IP)
//   _<port>._<proto>.<svc>.<ns>.svc.<zone> SRV per matching port, targets' addresses in the additional section
//   <a-b-c-d>.<ns>.pod.<zone>             A/AAAA of a pod
//   ExternalName services                 CNAME, followed by the target's records when we can resolve them
//   reverse names (in-addr.arpa/ip6.arpa) PTR of service IPs, endpoint IPs and pod IPs
// A name that does not exist is NXDOMAIN; a name that exists without records of the asked type is NODATA
// (NOERROR, empty answer). Both carry the zone's SOA in the authority section. Before the caches are filled a
// missing name is SERVFAIL rather than a wrong NXDOMAIN. Names outside the zone go to `next` (the forwarder), or
// are REFUSED when there is none.
import net from "node:net";
import type { ClusterView } from "./cluster_view.js";
import { ipFromReverseName } from "./ip.js";
import { lookupPod, lookupService, namesForIP, NO_PORT, type PodRecordsMode, type ServiceRequest, type Target } from "./kube_records.js";
import { newQuery, Rcode, replyTo, RRClass, RRType, type Message, type RData, type ResourceRecord } from "./message.js";
import type { Handler, QueryContext } from "./types.js";

/** CoreDNS's default TTL for cluster records. */
export const DEFAULT_TTL = 30;
/** How many CNAMEs an answer follows before giving up (loops between ExternalName services). */
const MAX_CNAME_CHAIN = 8;
/** CoreDNS's SOA timers for the cluster zone. */
const SOA_REFRESH = 7200;
const SOA_RETRY = 1800;
const SOA_EXPIRE = 86400;
/** The DNS schema version the Kubernetes DNS specification defines, served at dns-version.<zone> TXT. */
const SCHEMA_VERSION = "1.1.0";

export interface KubeHandlerOptions {
  view: ClusterView;
  /** The cluster domain, e.g. "cluster.local". */
  zone: string;
  ttl?: number;
  podRecords?: PodRecordsMode;
  /** The Service fronting this DNS server: its IPs answer ns.dns.<zone>, the zone's NS (default kube-system/kube-dns). */
  dnsService?: { namespace: string; name: string };
  /** Where names outside the zone (and unknown reverse names) go; none: REFUSED (NXDOMAIN for reverse names). */
  next?: Handler;
}

type Outcome = { kind: "answer"; answers: ResourceRecord[]; additionals: ResourceRecord[] } | { kind: "nxdomain" } | { kind: "nodata" };

const NODATA: Outcome = { kind: "nodata" };
const NXDOMAIN: Outcome = { kind: "nxdomain" };

export class KubeHandler implements Handler {
  private readonly zone: string;
  private readonly ttl: number;
  private readonly podRecords: PodRecordsMode;

  constructor(private readonly opts: KubeHandlerOptions) {
    this.zone = opts.zone.toLowerCase().replace(/^\.|\.$/g, "");
    this.ttl = opts.ttl ?? DEFAULT_TTL;
    this.podRecords = opts.podRecords ?? "verified";
  }

  handle(query: Message, ctx: QueryContext): Promise<Message> {
    return this.resolve(query, ctx, 0);
  }

  private async resolve(query: Message, ctx: QueryContext, depth: number): Promise<Message> {
    const q = query.questions[0]!;
    const name = q.name.toLowerCase();
    const inZone = name === this.zone || name.endsWith(`.${this.zone}`);
    if (!inZone || (q.class !== RRClass.IN && q.class !== RRClass.ANY)) return this.reverseOrNext(query, ctx);
    const rel = name === this.zone ? [] : name.slice(0, -this.zone.length - 1).split(".");
    let outcome = this.inZone(rel, q.name, q.type);
    const res = replyTo(query);
    res.header.authoritative = true;
    res.header.recursionAvailable = this.opts.next !== undefined;
    if (outcome.kind === "answer" && outcome.answers[0]?.data.type === RRType.CNAME && q.type !== RRType.CNAME) {
      outcome = await this.chase(outcome, q.type, ctx, depth);
    }
    if (outcome.kind === "answer") {
      res.answers = outcome.answers;
      res.additionals = outcome.additionals;
      return res;
    }
    if (outcome.kind === "nxdomain") res.header.rcode = this.opts.view.synced() ? Rcode.NXDOMAIN : Rcode.SERVFAIL;
    res.authorities = [this.soa()];
    return res;
  }

  /** Appends the CNAME target's own records (from the cluster or upstream), as a recursive server would. */
  private async chase(outcome: Outcome & { kind: "answer" }, type: number, ctx: QueryContext, depth: number): Promise<Outcome> {
    const target = (outcome.answers[0]!.data as { target: string }).target;
    if (depth >= MAX_CNAME_CHAIN || net.isIP(target)) return outcome;
    const sub = await this.resolve(newQuery(target, type), ctx, depth + 1).catch(() => undefined);
    if (!sub || sub.header.rcode !== Rcode.NOERROR) return outcome;
    return { kind: "answer", answers: [...outcome.answers, ...sub.answers], additionals: [...outcome.additionals, ...sub.additionals] };
  }

  private async reverseOrNext(query: Message, ctx: QueryContext): Promise<Message> {
    const q = query.questions[0]!;
    const ip = ipFromReverseName(q.name);
    if (ip) {
      const names = namesForIP(this.opts.view, ip, this.zone, { podRecords: this.podRecords });
      if (names.length) {
        const res = replyTo(query);
        res.header.authoritative = true;
        res.header.recursionAvailable = this.opts.next !== undefined;
        if (q.type === RRType.PTR || q.type === RRType.ANY) res.answers = names.map((n) => this.rr(q.name, { type: RRType.PTR, target: n }));
        return res;
      }
      if (!this.opts.next) return replyTo(query, Rcode.NXDOMAIN);
    }
    return this.opts.next ? this.opts.next.handle(query, ctx) : replyTo(query, Rcode.REFUSED);
  }

  private inZone(rel: string[], owner: string, type: number): Outcome {
    const view = this.opts.view;
    if (rel.length === 0) {
      if (type === RRType.SOA) return { kind: "answer", answers: [this.soa()], additionals: [] };
      if (type === RRType.NS) {
        const glue = this.nameserver(`ns.dns.${this.zone}`, RRType.ANY);
        return { kind: "answer", answers: [this.rr(owner, { type: RRType.NS, target: `ns.dns.${this.zone}` })], additionals: glue.kind === "answer" ? glue.answers : [] };
      }
      return NODATA;
    }
    if (rel.length === 2 && rel[0] === "ns" && rel[1] === "dns") return this.nameserver(owner, type);
    if (rel.length === 1 && rel[0] === "dns-version") {
      return type === RRType.TXT ? { kind: "answer", answers: [this.rr(owner, { type: RRType.TXT, texts: [SCHEMA_VERSION] })], additionals: [] } : NODATA;
    }
    const kind = rel[rel.length - 1];
    if (kind !== "svc" && kind !== "pod") return NXDOMAIN;
    if (rel.length === 1) return NODATA;
    const ns = rel[rel.length - 2]!;
    if (!view.namespaceExists(ns)) return NXDOMAIN;
    if (rel.length === 2) return NODATA;
    if (kind === "pod") {
      const ip = rel.length === 3 ? lookupPod(view, ns, rel[0]!, this.podRecords) : undefined;
      return ip ? this.addresses(owner, type, [{ ip, port: NO_PORT, fqdn: owner }]) : NXDOMAIN;
    }
    const req: ServiceRequest = { namespace: ns, service: rel[rel.length - 3]! };
    if (rel.length === 4) req.endpoint = rel[0]!;
    else if (rel.length === 5) [req.port, req.protocol] = [rel[0]!.replace(/^_/, ""), rel[1]!.replace(/^_/, "")];
    else if (rel.length > 5) return NXDOMAIN;
    const found = lookupService(view, req, this.zone);
    if (found.kind === "nxdomain") return NXDOMAIN;
    if (found.kind === "external") return { kind: "answer", answers: [this.rr(owner, { type: RRType.CNAME, target: found.target })], additionals: [] };
    if (type === RRType.SRV) return this.srv(owner, found.targets);
    return this.addresses(owner, type, found.targets);
  }

  /** ns.dns.<zone>: the DNS service's cluster IPs (NODATA while it has none, the name is the zone's NS). */
  private nameserver(owner: string, type: number): Outcome {
    const ref = this.opts.dnsService ?? { namespace: "kube-system", name: "kube-dns" };
    const svc = this.opts.view.service(ref.namespace, ref.name);
    const ips = (svc?.spec?.clusterIPs?.length ? svc.spec.clusterIPs : [svc?.spec?.clusterIP]).filter((ip): ip is string => !!ip && net.isIP(ip) !== 0);
    return this.addresses(owner, type, ips.map((ip) => ({ ip, port: NO_PORT, fqdn: owner })));
  }

  private addresses(owner: string, type: number, targets: Target[]): Outcome {
    const want = (ip: string): boolean => (type === RRType.ANY ? true : type === RRType.A ? net.isIPv4(ip) : type === RRType.AAAA && net.isIPv6(ip));
    const ips = [...new Set(targets.map((t) => t.ip))].filter(want);
    if (ips.length === 0) return NODATA;
    return { kind: "answer", answers: ips.map((ip) => this.rr(owner, { type: net.isIPv4(ip) ? RRType.A : RRType.AAAA, address: ip })), additionals: [] };
  }

  private srv(owner: string, targets: Target[]): Outcome {
    const seen = new Set<string>();
    const withPorts = targets.filter((t) => {
      const k = `${t.fqdn}:${t.port}`;
      if (t.port === NO_PORT || seen.has(k)) return false;
      seen.add(k);
      return true;
    });
    if (withPorts.length === 0) return NODATA;
    // All records share priority 0 and split the weight evenly, as CoreDNS does.
    const weight = Math.floor(100 / withPorts.length);
    const answers = withPorts.map((t) => this.rr(owner, { type: RRType.SRV, priority: 0, weight, port: t.port, target: t.fqdn }));
    const glue = new Set<string>();
    const additionals: ResourceRecord[] = [];
    for (const t of withPorts) {
      if (glue.has(`${t.fqdn}/${t.ip}`)) continue;
      glue.add(`${t.fqdn}/${t.ip}`);
      additionals.push(this.rr(t.fqdn, { type: net.isIPv4(t.ip) ? RRType.A : RRType.AAAA, address: t.ip }));
    }
    return { kind: "answer", answers, additionals };
  }

  private rr(name: string, data: RData): ResourceRecord {
    return { name, class: RRClass.IN, ttl: this.ttl, data };
  }

  private soa(): ResourceRecord {
    return this.rr(this.zone, {
      type: RRType.SOA,
      mname: `ns.dns.${this.zone}`,
      rname: `hostmaster.${this.zone}`,
      serial: this.opts.view.serial() >>> 0,
      refresh: SOA_REFRESH,
      retry: SOA_RETRY,
      expire: SOA_EXPIRE,
      minimum: this.ttl,
    });
  }
}
