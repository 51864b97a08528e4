// NodePorts: two pods on one node cannot bind the same hostPort and protocol on overlapping addresses
// (0.0.0.0 overlaps every address).
import type { Pod } from "../../framework/api_types.js";
import type { StateData } from "../../framework/cycle_state.js";
import { hostPortsOf, type NodeInfo } from "../../framework/node_info.js";
import { Status } from "../../framework/status.js";
import type { ClusterEvent, EnqueueExtensions, FilterPlugin, PreFilterPlugin } from "../../framework/types.js";

export const NAME = "NodePorts";
export const ERR_REASON = "node(s) didn't have free ports for the requested pod ports";
const STATE_KEY = "PreFilter" + NAME;

class PortsState implements StateData {
  constructor(readonly ports: string[]) {}
  clone(): StateData {
    return this;
  }
}

/** True when any wanted "ip/proto/port" collides with one in use. */
export function portsConflict(wanted: string[], used: Map<string, number>): boolean {
  if (used.size === 0) return false;
  for (const w of wanted) {
    const [ip, proto, port] = w.split("/");
    if (ip === "0.0.0.0") {
      for (const u of used.keys()) {
        const [, uproto, uport] = u.split("/");
        if (uproto === proto && uport === port) return true;
      }
    } else if (used.has(w) || used.has(`0.0.0.0/${proto}/${port}`)) return true;
  }
  return false;
}

export function newNodePorts(): PreFilterPlugin & FilterPlugin & EnqueueExtensions {
  return {
    name: NAME,
    preFilter(state, pod: Pod) {
      const ports = hostPortsOf(state.podInfo(pod));
      if (ports.length === 0) return { status: Status.skip() };
      state.write(STATE_KEY, new PortsState(ports));
      return { status: Status.success() };
    },
    filter(state, pod: Pod, node: NodeInfo) {
      const ports = state.read<PortsState>(STATE_KEY)?.ports ?? hostPortsOf(state.podInfo(pod));
      return portsConflict(ports, node.usedPorts) ? Status.unschedulable(ERR_REASON) : Status.success();
    },
    eventsToRegister: (): ClusterEvent[] => [
      { resource: "AssignedPod", action: "Delete" },
      { resource: "Node", action: "Add" },
      { resource: "Node", action: "Update" },
    ],
  };
}
