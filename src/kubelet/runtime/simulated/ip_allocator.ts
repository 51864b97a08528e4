// Hands out pod IPs from one IPv4 CIDR the way host-local IPAM does: the network address and the gateway (.1) are
// reserved, addresses go round-robin so a freed one is not reused at once, and each is held by an owner id.

function toInt(ip: string): number {
  const parts = ip.split(".").map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new Error(`invalid IPv4 address ${JSON.stringify(ip)}`);
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

export function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

export function parseCidr(cidr: string): { base: number; bits: number } {
  const [ip, bitsText] = cidr.split("/");
  const bits = Number(bitsText);
  if (!ip || !Number.isInteger(bits) || bits < 0 || bits > 30) throw new Error(`invalid IPv4 CIDR ${JSON.stringify(cidr)} (need a prefix of /30 or shorter)`);
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return { base: (toInt(ip) & mask) >>> 0, bits };
}

export class IpAllocator {
  private readonly base: number;
  private readonly size: number;
  private readonly byOwner = new Map<string, number>();
  private readonly used = new Set<number>();
  private next = 2;

  constructor(readonly cidr: string) {
    const { base, bits } = parseCidr(cidr);
    this.base = base;
    this.size = 2 ** (32 - bits);
  }

  /** An address for owner (the same one if it already holds one); throws when the range is exhausted. */
  allocate(owner: string): string {
    const held = this.byOwner.get(owner);
    if (held !== undefined) return intToIp(held);
    // Usable offsets: 2 .. size-2 (network, gateway and broadcast excluded).
    const usable = this.size - 3;
    for (let i = 0; i < usable; i++) {
      const off = this.next;
      this.next = this.next + 1 > this.size - 2 ? 2 : this.next + 1;
      const ip = (this.base + off) >>> 0;
      if (this.used.has(ip)) continue;
      this.used.add(ip);
      this.byOwner.set(owner, ip);
      return intToIp(ip);
    }
    throw new Error(`no free address left in ${this.cidr}`);
  }

  release(owner: string): void {
    const ip = this.byOwner.get(owner);
    if (ip === undefined) return;
    this.byOwner.delete(owner);
    this.used.delete(ip);
  }
}
