// PrioritySort: higher spec.priority first; among equals, the pod that entered the queue first.
import { podPriority } from "../../framework/api_types.js";
import type { QueueSortPlugin } from "../../framework/types.js";

export const NAME = "PrioritySort";

export function newPrioritySort(): QueueSortPlugin {
  return {
    name: NAME,
    less(a, b) {
      const pa = podPriority(a.pod);
      const pb = podPriority(b.pod);
      return pa > pb || (pa === pb && a.timestamp < b.timestamp);
    },
  };
}
