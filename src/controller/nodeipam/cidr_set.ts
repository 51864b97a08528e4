// The pool of node pod subnets: a cluster CIDR cut into equal subnets (10.244.0.0/16 into /24s), handed out lowest
// free first so a freed subnet is the next one reused, as Kubernetes' range allocator does.

/** A parsed IPv4 CIDR: network address as an unsigned 32-bit number and prefix length. */
export interface Cidr {
  base: number;
  bits: number;
}

export function parseCidr(text: string): Cidr {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(text);
  const octets = m ? m.slice(1, 5).map(Number) : [];
  const bits = m ? Number(m[5]) : -1;
  if (!m || octets.some((o) => o > 255) || bits > 32) throw new Error(`invalid IPv4 CIDR ${JSON.stringify(text)}`);
  const addr = octets.reduce((a, o) => a * 256 + o, 0);
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return { base: (addr & mask) >>> 0, bits };
}

export function formatIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

export function formatCidr(c: Cidr): string {
  return `${formatIp(c.base)}/${c.bits}`;
}

export class CidrSet {
  private readonly cluster: Cidr;
  private readonly size: number;
  private readonly used = new Set<number>();

  constructor(clusterCidr: string, readonly subnetBits: number) {
    this.cluster = parseCidr(clusterCidr);
    if (subnetBits < this.cluster.bits || subnetBits > 32) throw new Error(`node CIDR mask /${subnetBits} does not fit in cluster CIDR ${clusterCidr}`);
    this.size = 2 ** (subnetBits - this.cluster.bits);
  }

  /** The index of a subnet of this pool, or undefined when the CIDR is not one of its subnets. */
  private indexOf(cidr: string): number | undefined {
    let c: Cidr;
    try {
      c = parseCidr(cidr);
    } catch {
      return undefined;
    }
    if (c.bits !== this.subnetBits) return undefined;
    const offset = c.base - this.cluster.base;
    const step = 2 ** (32 - this.subnetBits);
    if (offset < 0 || offset % step !== 0 || offset / step >= this.size) return undefined;
    return offset / step;
  }

  /** Marks a subnet taken (a node that already has it); false when it is not a subnet of this pool. */
  occupy(cidr: string): boolean {
    const i = this.indexOf(cidr);
    if (i === undefined) return false;
    this.used.add(i);
    return true;
  }

  release(cidr: string): void {
    const i = this.indexOf(cidr);
    if (i !== undefined) this.used.delete(i);
  }

  has(cidr: string): boolean {
    const i = this.indexOf(cidr);
    return i !== undefined && this.used.has(i);
  }

  /** The lowest free subnet, now taken; throws when the pool is exhausted. */
  allocateNext(): string {
    for (let i = 0; i < this.size; i++) {
      if (this.used.has(i)) continue;
      this.used.add(i);
      return formatCidr({ base: (this.cluster.base + i * 2 ** (32 - this.subnetBits)) >>> 0, bits: this.subnetBits });
    }
    throw new Error(`cluster CIDR ${formatCidr(this.cluster)} has no free /${this.subnetBits} left`);
  }
}
