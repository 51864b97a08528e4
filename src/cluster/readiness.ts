// What "the cluster is up" means: the API answers, every node's agent serves /healthz, its Node is Ready with a pod
// subnet and a published VTEP, and cluster DNS answers. Polled; the caller bounds the wait.
import type { Node } from "kubernetes-types/core/v1.js";
import type { KubeObject } from "../api/object.js";
import type { Client } from "../client/rest_client.js";
import { resources } from "../client/resources.js";
import { leaseOf } from "../network/annotations.js";
import type { NodeRecord } from "./types.js";

type NodeObject = Node & KubeObject;

const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function httpOk(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    await res.body?.cancel();
    return res.ok;
  } catch {
    return false;
  }
}

export async function waitFor(what: string, probe: () => Promise<boolean>, timeoutMs: number, isDead?: () => string | undefined): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await probe()) return;
    const dead = isDead?.();
    if (dead) throw new Error(`${what}: ${dead}`);
    if (Date.now() > end) throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}`);
    await delay(100);
  }
}

export interface NodeView {
  name: string;
  ready: boolean;
  podCIDR?: string;
  vxlan: boolean;
}

export async function nodeViews(client: Client): Promise<Map<string, NodeView>> {
  const list = await client.resource<NodeObject>(resources.nodes).list(undefined);
  const out = new Map<string, NodeView>();
  for (const n of list.items) {
    const name = n.metadata?.name ?? "";
    const ready = n.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;
    out.set(name, { name, ready, podCIDR: n.spec?.podCIDR, vxlan: leaseOf(n) !== undefined });
  }
  return out;
}

/** True when the node's agent answers and its Node is Ready, has a pod subnet and a published VTEP. */
export async function nodeUp(client: Client, node: NodeRecord, kubeletPort: number): Promise<boolean> {
  if (!(await httpOk(`http://${node.ip}:${kubeletPort}/healthz`))) return false;
  try {
    const v = (await nodeViews(client)).get(node.name);
    return !!v && v.ready && !!v.podCIDR && v.vxlan;
  } catch {
    return false;
  }
}

/** True when every node's flannel.1 routes the pod subnet of every other node (the pod network has converged). */
export async function networkConverged(client: Client, nodes: NodeRecord[], routesOf: (netns: string) => Promise<string[]>): Promise<boolean> {
  try {
    const views = await nodeViews(client);
    for (const n of nodes) {
      const have = new Set(await routesOf(n.netns));
      for (const peer of nodes) {
        if (peer === n) continue;
        const cidr = views.get(peer.name)?.podCIDR;
        if (!cidr || !have.has(cidr)) return false;
      }
    }
    return true;
  } catch {
    return false;
  }
}
