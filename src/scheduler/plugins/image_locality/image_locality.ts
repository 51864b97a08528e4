// ImageLocality: prefer nodes that already hold the pod's images, weighted by image size and by how widely the
// image is spread (an image on every node says little; one big image on this node alone says a lot).
import type { Pod } from "../../framework/api_types.js";
import type { NodeInfo } from "../../framework/node_info.js";
import { NODE_IMAGES } from "../../framework/node_columns.js";
import { Status } from "../../framework/status.js";
import type { StateData } from "../../framework/cycle_state.js";
import { MAX_NODE_SCORE, type Handle, type PreScorePlugin, type ScorePlugin } from "../../framework/types.js";
import { normalizeImageName } from "../../cache/cache.js";

export const NAME = "ImageLocality";
const STATE_KEY = "Score" + NAME;
const MB = 1024 * 1024;
/** Below this summed size the score is 0: small images pull quickly anyway. */
const MIN_THRESHOLD = 23 * MB;
/** Per container, sizes above this earn nothing more. */
const MAX_CONTAINER_THRESHOLD = 1000 * MB;

/** The pod's images as nodes report them, and how many containers it has (the per-container cap). */
interface PodImages extends StateData {
  names: string[];
  containers: number;
}

function podImages(pod: Pod): PodImages {
  const containers = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
  const names = containers.flatMap((c) => (c.image ? [normalizeImageName(c.image)] : []));
  return { names, containers: containers.length, clone: () => ({ ...podImages(pod) }) };
}

function scoreImages(images: PodImages, node: NodeInfo, totalNodes: number): number {
  let sum = 0;
  if (node.imageStates.size > 0 && totalNodes > 0) {
    for (const name of images.names) {
      const st = node.imageStates.get(name);
      if (st) sum += st.size * (st.numNodes / totalNodes);
    }
  }
  const max = MAX_CONTAINER_THRESHOLD * Math.max(1, images.containers);
  const clamped = Math.min(Math.max(sum, MIN_THRESHOLD), max);
  return Math.trunc((MAX_NODE_SCORE * (clamped - MIN_THRESHOLD)) / (max - MIN_THRESHOLD));
}

export function imageLocalityScore(pod: Pod, node: NodeInfo, totalNodes: number): number {
  return scoreImages(podImages(pod), node, totalNodes);
}

export function newImageLocality(_args: unknown, handle: Handle): PreScorePlugin & ScorePlugin {
  return {
    name: NAME,
    // When no candidate node reports any image, every node would score 0 (the sum is under MIN_THRESHOLD): the
    // Score calls are skipped, the totals are the same.
    preScore(state, _pod, nodes) {
      // The nodes are the cycle snapshot's: when none of its nodes reports an image, no candidate does.
      if (state.snapshot.columns()?.count(NODE_IMAGES) === 0) return Status.skip();
      for (const n of nodes) if (n.imageStates.size > 0) return Status.success();
      return Status.skip();
    },
    score(state, pod, node) {
      // Worked out once per cycle, on the first node scored.
      let images = state.read<PodImages>(STATE_KEY);
      if (!images) state.write(STATE_KEY, (images = podImages(pod)));
      return { score: scoreImages(images, node, state.snapshot.numNodes() || handle.snapshot().numNodes()), status: Status.success() };
    },
  };
}
