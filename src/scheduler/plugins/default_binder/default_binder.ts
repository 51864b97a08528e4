// DefaultBinder: binds through the pods/binding subresource, as every Kubernetes scheduler does, so the API
// server (not the scheduler) sets spec.nodeName and the PodScheduled condition in one write.
import { isNotFound } from "../../../machinery/errors.js";
import type { Pod } from "../../framework/api_types.js";
import { Status } from "../../framework/status.js";
import type { BindPlugin, Handle } from "../../framework/types.js";

export const NAME = "DefaultBinder";

export function bindingPath(pod: Pod): string {
  return `/api/v1/namespaces/${encodeURIComponent(pod.metadata?.namespace ?? "")}/pods/${encodeURIComponent(pod.metadata?.name ?? "")}/binding`;
}

export function newDefaultBinder(_args: unknown, handle: Handle): BindPlugin {
  return {
    name: NAME,
    async bind(_state, pod, nodeName) {
      if (!handle.client) return Status.error("DefaultBinder: no API client");
      const body = {
        apiVersion: "v1",
        kind: "Binding",
        metadata: { name: pod.metadata?.name, namespace: pod.metadata?.namespace, uid: pod.metadata?.uid },
        target: { apiVersion: "v1", kind: "Node", name: nodeName },
      };
      try {
        // The answer is a Status nobody reads: not parsed.
        await handle.client.request({ method: "POST", path: bindingPath(pod), body, discardResponse: true });
        return Status.success();
      } catch (err) {
        if (isNotFound(err)) return Status.error(`binding pod ${pod.metadata?.namespace}/${pod.metadata?.name}: pod no longer exists`);
        return Status.error(err instanceof Error ? err : String(err));
      }
    },
  };
}
