// The prober of hollow nodes: answers probes from the pod's sim.k8ts.io/* annotations (script.ts) instead of
// running exec/http/tcp checks, using how long the container has been running on the given clock.
import type { Clock } from "../../../client/clock.js";
import type { ProbeRequest, ProbeResult, Prober } from "../../types.js";
import { probeScript } from "./script.js";

export class SimulatedProber implements Prober {
  constructor(private readonly clock: Clock) {}

  async probe(req: ProbeRequest): Promise<ProbeResult> {
    const s = probeScript(req.pod.metadata?.annotations ?? {}, req.container.name);
    const ranMs = this.clock.now() - req.startedAt;
    switch (req.kind) {
      case "readiness":
        return s.ready && ranMs >= s.readyAfterMs ? "success" : "failure";
      case "liveness":
        return s.live ? "success" : "failure";
      case "startup":
        return ranMs >= s.startupAfterMs ? "success" : "failure";
    }
  }
}
