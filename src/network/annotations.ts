// The Node annotations a flannel-style agent publishes (flannel's own names, so its tooling reads them) and their
// parsing back into what a peer needs.
import type { NodeLease } from "./types.js";

export const BACKEND_DATA = "flannel.alpha.coreos.com/backend-data";
export const BACKEND_TYPE = "flannel.alpha.coreos.com/backend-type";
export const PUBLIC_IP = "flannel.alpha.coreos.com/public-ip";
export const KUBE_SUBNET_MANAGER = "flannel.alpha.coreos.com/kube-subnet-manager";

export const VNI = 1;

export function leaseAnnotations(opts: { vtepMAC: string; publicIP: string }): Record<string, string> {
  return {
    [BACKEND_DATA]: JSON.stringify({ VNI, VtepMAC: opts.vtepMAC }),
    [BACKEND_TYPE]: "vxlan",
    [PUBLIC_IP]: opts.publicIP,
    [KUBE_SUBNET_MANAGER]: "true",
  };
}

interface NodeLike {
  metadata?: { name?: string; annotations?: Record<string, string> | null };
  spec?: { podCIDR?: string; podCIDRs?: string[] };
}

const MAC_RE = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;
const IP_RE = /^\d{1,3}(\.\d{1,3}){3}$/;

/** The node's VXLAN lease, or undefined while it lacks a pod subnet or its agent has not published yet. */
export function leaseOf(node: NodeLike): NodeLease | undefined {
  const name = node.metadata?.name;
  const podCIDR = node.spec?.podCIDR ?? node.spec?.podCIDRs?.[0];
  const ann = node.metadata?.annotations ?? {};
  const publicIP = ann[PUBLIC_IP];
  if (!name || !podCIDR || !publicIP || !IP_RE.test(publicIP)) return undefined;
  let data: { VNI?: unknown; VtepMAC?: unknown };
  try {
    data = JSON.parse(ann[BACKEND_DATA] ?? "") as typeof data;
  } catch {
    return undefined;
  }
  if (typeof data.VtepMAC !== "string" || !MAC_RE.test(data.VtepMAC) || (data.VNI !== undefined && data.VNI !== VNI)) return undefined;
  return { name, podCIDR, publicIP, vtepMAC: data.VtepMAC.toLowerCase() };
}

/** The network address of a subnet, the VTEP address flannel gives flannel.1 (10.244.3.0/24 -> 10.244.3.0). */
export function subnetAddress(cidr: string): string {
  return cidr.split("/")[0]!;
}
