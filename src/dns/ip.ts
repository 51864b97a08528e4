// IP address text <-> bytes, and the DNS spellings of addresses: reverse names under in-addr.arpa / ip6.arpa
// (RFC 1035 3.5, RFC 3596 2.5) and the dashed labels of pod records ("10-244-1-5", "fd00--1").
import net from "node:net";

export function ipv4Bytes(address: string): Uint8Array {
  const parts = address.split(".");
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) throw new Error(`${JSON.stringify(address)} is not an IPv4 address`);
  return Uint8Array.from(parts.map(Number));
}

export function ipv6Bytes(address: string): Uint8Array {
  let a = address;
  // An embedded IPv4 tail ("::ffff:1.2.3.4") becomes two groups.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  if (v4) {
    const b = ipv4Bytes(v4[1]!);
    a = a.slice(0, -v4[1]!.length) + `${((b[0]! << 8) | b[1]!).toString(16)}:${((b[2]! << 8) | b[3]!).toString(16)}`;
  }
  const bad = (): Error => new Error(`${JSON.stringify(address)} is not an IPv6 address`);
  const halves = a.split("::");
  if (halves.length > 2) throw bad();
  const head = halves[0] ? halves[0].split(":") : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(":") : [];
  const fill = 8 - head.length - tail.length;
  if ((halves.length === 1 && fill !== 0) || fill < 0) throw bad();
  const groups = [...head, ...Array<string>(fill).fill("0"), ...tail];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) throw bad();
    const v = parseInt(g, 16);
    out[i * 2] = v >> 8;
    out[i * 2 + 1] = v & 0xff;
  });
  return out;
}

/** 16 bytes -> RFC 5952 text: lowercase, the longest run of two or more zero groups as "::". */
export function formatIpv6(b: Uint8Array): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((b[i]! << 8) | b[i + 1]!).toString(16));
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== "0") {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === "0") j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j;
  }
  if (best < 0) return groups.join(":");
  return `${groups.slice(0, best).join(":")}::${groups.slice(best + bestLen).join(":")}`;
}

/** One spelling per address (IPv6 in RFC 5952 form), so addresses from different sources compare equal. */
export function canonicalIP(ip: string): string | undefined {
  if (net.isIPv4(ip)) return Array.from(ipv4Bytes(ip)).join(".");
  if (net.isIPv6(ip)) return formatIpv6(ipv6Bytes(ip));
  return undefined;
}

/** "4.3.2.1.in-addr.arpa" -> "1.2.3.4"; undefined unless the name spells one whole address. */
export function ipFromReverseName(name: string): string | undefined {
  const lower = name.toLowerCase();
  if (lower.endsWith(".in-addr.arpa")) {
    const parts = lower.slice(0, -".in-addr.arpa".length).split(".");
    if (parts.length !== 4) return undefined;
    return canonicalIP(parts.reverse().join("."));
  }
  if (lower.endsWith(".ip6.arpa")) {
    const nibbles = lower.slice(0, -".ip6.arpa".length).split(".");
    if (nibbles.length !== 32 || nibbles.some((n) => !/^[0-9a-f]$/.test(n))) return undefined;
    const hex = nibbles.reverse().join("");
    return canonicalIP(hex.match(/.{4}/g)!.join(":"));
  }
  return undefined;
}

export function reverseName(ip: string): string {
  if (net.isIPv4(ip)) return `${ip.split(".").reverse().join(".")}.in-addr.arpa`;
  const hex = Buffer.from(ipv6Bytes(ip)).toString("hex");
  return `${hex.split("").reverse().join(".")}.ip6.arpa`;
}

/** "10.244.1.5" -> "10-244-1-5", "fd00::1" -> "fd00--1": an address as one DNS label. */
export function dashedIP(ip: string): string {
  return ip.replace(/[.:]/g, "-");
}

/** The inverse of dashedIP; undefined when the label is not an address. */
export function ipFromDashed(label: string): string | undefined {
  const v4 = label.replace(/-/g, ".");
  if (net.isIPv4(v4)) return canonicalIP(v4);
  const v6 = label.replace(/-/g, ":");
  return net.isIPv6(v6) ? canonicalIP(v6) : undefined;
}
