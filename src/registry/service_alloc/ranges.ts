// The two ranges services draw from: cluster IPs from the service CIDR (IPv4) and node ports from the node port
// range, each as an inclusive span of integers with a lower "static" band that dynamic allocation avoids while it
// can, so addresses and ports people pick by hand (the DNS service's 10.96.0.10) rarely collide with random ones
// (Kubernetes' KEP-3070 / KEP-3668 split).

export interface IntRange {
  /** First and last usable values (inclusive). */
  first: number;
  last: number;
  /** Values first..first+staticBand-1 are handed out dynamically only once the rest is full. */
  staticBand: number;
}

export interface ServiceNetwork {
  /** e.g. "10.96.0.0/12" */
  serviceCIDR: string;
  /** e.g. { first: 30000, last: 32767 } */
  nodePorts: { first: number; last: number };
}

export const DEFAULT_SERVICE_NETWORK: ServiceNetwork = { serviceCIDR: "10.96.0.0/12", nodePorts: { first: 30000, last: 32767 } };

/** a.b.c.d -> unsigned 32-bit integer; undefined for anything else (IPv6 included). */
export function parseIPv4(ip: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p, i) => p > 255 || (m[i + 1]!.length > 1 && m[i + 1]!.startsWith("0")))) return undefined;
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

export function formatIPv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

/** Kubernetes' calculateRangeOffset: the static band is size/step, clamped to [min, max]. */
function band(size: number, opts: { min: number; max: number; step: number }): number {
  return Math.min(Math.max(opts.min, Math.floor(size / opts.step)), opts.max);
}

/** The usable addresses of an IPv4 CIDR: without the network and broadcast addresses. */
export function cidrRange(cidr: string): IntRange {
  const [addr, bitsText] = cidr.split("/");
  const base = parseIPv4(addr ?? "");
  const bits = Number(bitsText);
  if (base === undefined || !Number.isInteger(bits) || bits < 1 || bits > 30) throw new Error(`service CIDR ${JSON.stringify(cidr)}: want an IPv4 CIDR with a prefix of 1-30 bits`);
  const size = 2 ** (32 - bits);
  const network = base - (base % size);
  // Static band for IPs: 16..256 addresses, 1/16 of the range.
  return { first: network + 1, last: network + size - 2, staticBand: band(size, { min: 16, max: 256, step: 16 }) };
}

export function portRange(r: { first: number; last: number }): IntRange {
  // Static band for ports: 16..128 ports, 1/32 of the range.
  return { first: r.first, last: r.last, staticBand: band(r.last - r.first + 1, { min: 16, max: 128, step: 32 }) };
}

export function inRange(r: IntRange, n: number): boolean {
  return n >= r.first && n <= r.last;
}

/**
 * Candidate values in the order dynamic allocation tries them: the dynamic band from a random point (wrapping),
 * then the static band from a random point. `random` in [0, 1) is injectable for tests.
 */
export function* candidates(r: IntRange, random: () => number = Math.random): Generator<number> {
  const staticEnd = Math.min(r.first + r.staticBand, r.last + 1);
  const bands: Array<[number, number]> = [
    [staticEnd, r.last + 1],
    [r.first, staticEnd],
  ];
  for (const [lo, hi] of bands) {
    const size = hi - lo;
    if (size <= 0) continue;
    const start = Math.floor(random() * size);
    for (let i = 0; i < size; i++) yield lo + ((start + i) % size);
  }
}
