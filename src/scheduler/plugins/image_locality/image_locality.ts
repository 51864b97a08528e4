// ImageLocality: prefer nodes that already hold the pod's images, weighted by image size and by how widely the
// image is spread (an image on every node says little; one big image on this node alone says a lot).
import type { Pod } from "../../framework/api_types.js";
import type { NodeInfo } from "../../framework/node_info.js";
import { Status } from "../../framework/status.js";
import { MAX_NODE_SCORE, type Handle, type ScorePlugin } from "../../framework/types.js";
import { normalizeImageName } from "../../cache/cache.js";

export const NAME = "ImageLocality";
const MB = 1024 * 1024;
/** Below this summed size the score is 0: small images pull quickly anyway. */
const MIN_THRESHOLD = 23 * MB;
/** Per container, sizes above this earn nothing more. */
const MAX_CONTAINER_THRESHOLD = 1000 * MB;

export function imageLocalityScore(pod: Pod, node: NodeInfo, totalNodes: number): number {
  const containers = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
  let sum = 0;
  for (const c of containers) {
    if (!c.image) continue;
    const st = node.imageStates.get(normalizeImageName(c.image));
    if (st && totalNodes > 0) sum += st.size * (st.numNodes / totalNodes);
  }
  const max = MAX_CONTAINER_THRESHOLD * Math.max(1, containers.length);
  const clamped = Math.min(Math.max(sum, MIN_THRESHOLD), max);
  return Math.trunc((MAX_NODE_SCORE * (clamped - MIN_THRESHOLD)) / (max - MIN_THRESHOLD));
}

export function newImageLocality(_args: unknown, handle: Handle): ScorePlugin {
  return {
    name: NAME,
    score(state, pod, node) {
      return { score: imageLocalityScore(pod, node, state.snapshot.numNodes() || handle.snapshot().numNodes()), status: Status.success() };
    },
  };
}
