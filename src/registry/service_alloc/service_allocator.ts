// The write hooks of core/v1 services: cluster IPs from the service CIDR and node ports from the node port range,
// reserved before a service is stored, kept by updates, released when a write fails, when a type change drops them
// (ExternalName has no cluster IP; ClusterIP has no node ports) and when the service is deleted. Requested values
// are honoured or refused with Kubernetes' 422 messages; dry runs reserve nothing but answer the same.
import type { Service, ServiceSpec } from "kubernetes-types/core/v1.js";
import type { StoredObject } from "../../api/object.js";
import { invalid } from "../../api/validation/field.js";
import { errors, type FieldError } from "../../machinery/errors.js";
import type { FinishWrite, WriteHookDeps, WriteHooks } from "../types.js";
import { RangeAllocator, type Owner } from "./range_allocator.js";
import { cidrRange, DEFAULT_SERVICE_NETWORK, formatIPv4, inRange, parseIPv4, portRange, type ServiceNetwork } from "./ranges.js";

/** Where the markers live (outside every resource's prefix, so the watch cache ignores them). */
export const IP_MARKER_PREFIX = "/registry/ranges/serviceips/";
export const NODE_PORT_MARKER_PREFIX = "/registry/ranges/servicenodeports/";

type Svc = Service & StoredObject;

/** A value reserved by this write, to undo if the write does not happen. */
interface Reserved {
  alloc: RangeAllocator;
  n: number;
}

function specOf(obj: StoredObject): ServiceSpec {
  return ((obj as Svc).spec ??= {});
}

function ownerOf(obj: StoredObject): Owner {
  return { namespace: obj.metadata.namespace ?? "", name: obj.metadata.name ?? "", uid: obj.metadata.uid ?? "" };
}

function hasClusterIP(spec: ServiceSpec): boolean {
  return spec.type !== "ExternalName";
}

function wantsNodePorts(spec: ServiceSpec): boolean {
  return spec.type === "NodePort" || (spec.type === "LoadBalancer" && spec.allocateLoadBalancerNodePorts !== false);
}

function wantsHealthCheckPort(spec: ServiceSpec): boolean {
  return spec.type === "LoadBalancer" && spec.externalTrafficPolicy === "Local";
}

/** The allocated cluster IP of a spec as an integer (none for headless and ExternalName services). */
function clusterIPOf(spec: ServiceSpec | undefined): number | undefined {
  if (!spec || !hasClusterIP(spec) || !spec.clusterIP || spec.clusterIP === "None") return undefined;
  return parseIPv4(spec.clusterIP);
}

/** Every node port a spec holds: its ports' and its health check port. */
function nodePortsOf(spec: ServiceSpec | undefined): Set<number> {
  const out = new Set<number>();
  for (const p of spec?.ports ?? []) if (p.nodePort) out.add(p.nodePort);
  if (spec?.healthCheckNodePort) out.add(spec.healthCheckNodePort);
  return out;
}

export class ServiceAllocator implements WriteHooks {
  readonly ips: RangeAllocator;
  readonly ports: RangeAllocator;
  private readonly cidr: string;

  constructor(
    private readonly deps: WriteHookDeps,
    opts: { network?: ServiceNetwork; random?: () => number } = {},
  ) {
    const network = opts.network ?? DEFAULT_SERVICE_NETWORK;
    this.cidr = network.serviceCIDR;
    const common = { storage: deps.storage, clock: deps.clock, logger: deps.logger, random: opts.random };
    const holds = (pick: (spec: ServiceSpec | undefined) => Iterable<number>) => async (owner: Owner, n: number) => {
      const svc = await deps.read(owner.namespace, owner.name);
      return !!svc && svc.metadata.uid === owner.uid && [...pick((svc as Svc).spec)].includes(n);
    };
    this.ips = new RangeAllocator({
      ...common,
      prefix: IP_MARKER_PREFIX,
      range: cidrRange(network.serviceCIDR),
      format: formatIPv4,
      parse: parseIPv4,
      inUse: () => this.cachedValues((spec) => {
        const ip = clusterIPOf(spec);
        return ip === undefined ? [] : [ip];
      }),
      ownerHolds: holds((spec) => {
        const ip = clusterIPOf(spec);
        return ip === undefined ? [] : [ip];
      }),
    });
    this.ports = new RangeAllocator({
      ...common,
      prefix: NODE_PORT_MARKER_PREFIX,
      range: portRange(network.nodePorts),
      format: String,
      parse: (s) => (/^\d+$/.test(s) ? Number(s) : undefined),
      inUse: () => this.cachedValues(nodePortsOf),
      ownerHolds: holds(nodePortsOf),
    });
  }

  private cachedValues(pick: (spec: ServiceSpec | undefined) => Iterable<number>): Map<number, Owner> {
    const out = new Map<number, Owner>();
    for (const svc of this.deps.cachedList()) for (const n of pick((svc as Svc).spec)) out.set(n, ownerOf(svc));
    return out;
  }

  async beforeCreate(obj: StoredObject, ctx: { dryRun: boolean }): Promise<FinishWrite> {
    return this.allocate(obj, undefined, ctx);
  }

  async beforeUpdate(obj: StoredObject, old: StoredObject, ctx: { dryRun: boolean }): Promise<FinishWrite> {
    return this.allocate(obj, old, ctx);
  }

  async afterDelete(obj: StoredObject): Promise<void> {
    await this.releaseAll(obj.metadata.uid ?? "", (obj as Svc).spec);
  }

  /** Fills and reserves what the service needs; the finish step frees either the new values (write failed) or
   *  the old ones the write dropped (write committed). */
  private async allocate(obj: StoredObject, old: StoredObject | undefined, ctx: { dryRun: boolean }): Promise<FinishWrite> {
    const spec = specOf(obj);
    const oldSpec = old ? (old as Svc).spec : undefined;
    const owner = ownerOf(obj);
    const reserved: Reserved[] = [];
    const undo = async (): Promise<void> => {
      if (ctx.dryRun) return;
      for (const r of reserved) await r.alloc.release(r.n, owner.uid);
    };
    try {
      await this.allocateClusterIP(obj, { oldSpec, owner, dryRun: ctx.dryRun, reserved });
      await this.allocateNodePorts(obj, { oldSpec, owner, dryRun: ctx.dryRun, reserved });
    } catch (err) {
      await undo();
      throw err;
    }
    return async (committed) => {
      if (!committed) return undo();
      if (!oldSpec) return;
      const ip = clusterIPOf(oldSpec);
      if (ip !== undefined && clusterIPOf(spec) !== ip) await this.ips.release(ip, owner.uid);
      const keep = nodePortsOf(spec);
      for (const p of nodePortsOf(oldSpec)) if (!keep.has(p)) await this.ports.release(p, owner.uid);
    };
  }

  private refuse(obj: StoredObject, errs: FieldError[]): never {
    throw errors.invalid("Service", "", obj.metadata.name ?? "", errs);
  }

  private async allocateClusterIP(obj: StoredObject, op: { oldSpec?: ServiceSpec; owner: Owner; dryRun: boolean; reserved: Reserved[] }): Promise<void> {
    const spec = specOf(obj);
    if (!hasClusterIP(spec)) return;
    const requested = spec.clusterIP || spec.clusterIPs?.[0] || "";
    if (requested === "None") {
      spec.clusterIP = "None";
      spec.clusterIPs = ["None"];
      return;
    }
    this.checkFamilies(obj);
    const kept = clusterIPOf(op.oldSpec);
    if (kept !== undefined && requested === formatIPv4(kept)) {
      spec.clusterIPs = [requested];
      return;
    }
    let ip: number;
    if (requested) {
      const n = parseIPv4(requested);
      if (n === undefined || !inRange(this.ips.range, n)) {
        this.refuse(obj, [invalid("spec.clusterIPs", requested, `failed to allocate IP ${requested}: the provided IP (${requested}) is not in the valid range. The range of valid IPs is ${this.cidr}`)]);
      }
      const res = await this.ips.reserve(n, op.owner, { dryRun: op.dryRun });
      if (res === "taken") this.refuse(obj, [invalid("spec.clusterIPs", requested, `failed to allocate IP ${requested}: provided IP is already allocated`)]);
      if (res === "reserved") op.reserved.push({ alloc: this.ips, n });
      ip = n;
    } else {
      const n = await this.ips.reserveNext(op.owner, { dryRun: op.dryRun });
      if (n === undefined) throw errors.internal(`failed to allocate a serviceIP: range is full`);
      op.reserved.push({ alloc: this.ips, n });
      ip = n;
    }
    spec.clusterIP = formatIPv4(ip);
    spec.clusterIPs = [spec.clusterIP];
    spec.ipFamilies ??= ["IPv4"];
    spec.ipFamilyPolicy ??= "SingleStack";
  }

  /** This cluster's service network is IPv4 only: dual-stack or IPv6 cluster IPs cannot be had. */
  private checkFamilies(obj: StoredObject): void {
    const spec = specOf(obj);
    const errs: FieldError[] = [];
    if (spec.ipFamilyPolicy === "RequireDualStack") errs.push(invalid("spec.ipFamilyPolicy", spec.ipFamilyPolicy, "this cluster is not configured for dual-stack services"));
    (spec.ipFamilies ?? []).forEach((f, i) => {
      if (f !== "IPv4") errs.push(invalid(`spec.ipFamilies[${i}]`, f, "not configured on this cluster"));
    });
    if (errs.length) this.refuse(obj, errs);
  }

  /** Reserves one requested node port for a field (kept ones and ones this write already holds pass). */
  private async reservePort(obj: StoredObject, op: { field: string; port: number; held: Set<number>; owner: Owner; dryRun: boolean; reserved: Reserved[] }): Promise<void> {
    const { field, port } = op;
    if (op.held.has(port)) return;
    const r = this.ports.range;
    if (!inRange(r, port)) this.refuse(obj, [invalid(field, port, `provided port is not in the valid range. The range of valid ports is ${r.first}-${r.last}`)]);
    const res = await this.ports.reserve(port, op.owner, { dryRun: op.dryRun });
    if (res === "taken") this.refuse(obj, [invalid(field, port, "provided port is already allocated")]);
    if (res === "reserved") op.reserved.push({ alloc: this.ports, n: port });
    op.held.add(port);
  }

  private async nextPort(op: { held: Set<number>; owner: Owner; dryRun: boolean; reserved: Reserved[] }): Promise<number> {
    const n = await this.ports.reserveNext(op.owner, { dryRun: op.dryRun, avoid: op.held });
    if (n === undefined) throw errors.internal("failed to allocate a nodePort: range is full");
    op.reserved.push({ alloc: this.ports, n });
    op.held.add(n);
    return n;
  }

  private async allocateNodePorts(obj: StoredObject, op: { oldSpec?: ServiceSpec; owner: Owner; dryRun: boolean; reserved: Reserved[] }): Promise<void> {
    const spec = specOf(obj);
    // Ports the service held before this write are its own; values reserved below join them.
    const held = nodePortsOf(op.oldSpec);
    const base = { held, owner: op.owner, dryRun: op.dryRun, reserved: op.reserved };
    const ports = spec.ports ?? [];
    // Requested ports first, so automatic ones never take a value asked for later in the list.
    const byServicePort = new Map<number, number>();
    for (const [i, p] of ports.entries()) {
      if (!p.nodePort) continue;
      await this.reservePort(obj, { ...base, field: `spec.ports[${i}].nodePort`, port: p.nodePort });
      byServicePort.set(p.port, p.nodePort);
    }
    if (wantsNodePorts(spec)) {
      for (const p of ports) {
        if (p.nodePort) continue;
        // One service port number exposed over several protocols shares its node port, as in Kubernetes.
        p.nodePort = byServicePort.get(p.port) ?? (await this.nextPort(base));
        byServicePort.set(p.port, p.nodePort);
      }
    }
    if (!wantsHealthCheckPort(spec)) {
      delete spec.healthCheckNodePort;
      return;
    }
    spec.healthCheckNodePort ||= op.oldSpec?.healthCheckNodePort || undefined;
    if (spec.healthCheckNodePort) await this.reservePort(obj, { ...base, field: "spec.healthCheckNodePort", port: spec.healthCheckNodePort });
    else spec.healthCheckNodePort = await this.nextPort(base);
  }

  private async releaseAll(uid: string, spec: ServiceSpec | undefined): Promise<void> {
    const ip = clusterIPOf(spec);
    if (ip !== undefined) await this.ips.release(ip, uid);
    for (const p of nodePortsOf(spec)) await this.ports.release(p, uid);
  }
}

/** ResourceDef.writeHooks of services. */
export function serviceWriteHooks(deps: WriteHookDeps): WriteHooks {
  return new ServiceAllocator(deps);
}
