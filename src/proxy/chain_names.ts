// Chain names as Kubernetes derives them, so they are stable across restarts and processes and familiar to anyone
// reading `iptables-save`: a prefix plus the first 16 characters of the base32 (RFC 4648, with padding alphabet)
// encoding of sha256(service port name + lower-case protocol [+ "ip:port" of the endpoint]).
import { createHash } from "node:crypto";
import { servicePortName, type EndpointInfo, type ServicePortInfo } from "./types.js";

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** Standard base32 without padding (padding never reaches the first 16 characters of a 32-byte digest). */
export function base32(bytes: Uint8Array): string {
  let out = "";
  let bits = 0;
  let value = 0;
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

function hash16(text: string): string {
  return base32(createHash("sha256").update(text).digest()).slice(0, 16);
}

type PortKey = Pick<ServicePortInfo, "namespace" | "service" | "portName" | "protocol">;

/** The hash naming a service port's chains (KUBE-SVC-, KUBE-EXT-, KUBE-SVL- and the nftables equivalents). */
export function servicePortHash(p: PortKey): string {
  return hash16(servicePortName(p) + p.protocol.toLowerCase());
}

/** The hash naming one endpoint's chain of one service port. */
export function endpointHash(p: PortKey, ep: Pick<EndpointInfo, "ip" | "port">): string {
  return hash16(servicePortName(p) + p.protocol.toLowerCase() + `${ep.ip}:${ep.port}`);
}

export const svcChain = (p: PortKey): string => `KUBE-SVC-${servicePortHash(p)}`;
export const svlChain = (p: PortKey): string => `KUBE-SVL-${servicePortHash(p)}`;
export const extChain = (p: PortKey): string => `KUBE-EXT-${servicePortHash(p)}`;
export const sepChain = (p: PortKey, ep: Pick<EndpointInfo, "ip" | "port">): string => `KUBE-SEP-${endpointHash(p, ep)}`;
