// `k8ts sim --nodes N`: many hollow nodes in one process (each its own Node, Lease, status and simulated pods),
// sharing one API client and one pod watch; for scheduler and control-plane scale work.
import type { Command } from "./main.js";
import { HollowNodes } from "../kubelet/hollow_nodes.js";
import { createLogger } from "../util/log.js";
import { NODE_FLAG_NAMES, NODE_FLAGS_USAGE, capacityFrom, clientFrom, parseFlags, untilSignal, type NodeFlags } from "./agent_command.js";

interface SimFlags extends NodeFlags {
  nodes?: number;
  namePrefix?: string;
  startIndex?: number;
}

const USAGE = `usage: k8ts sim --nodes N [flags]

flags:
  --nodes N                 how many hollow nodes to run (required)
  --name-prefix P           node names are <P><index> (default hollow-node-)
  --start-index I           first index (default 0), to run several sim processes against one cluster
${NODE_FLAGS_USAGE}`;

export const simCommand: Command = async (args) => {
  let flags: SimFlags;
  try {
    flags = parseFlags<SimFlags>(args, {
      names: { ...NODE_FLAG_NAMES, "--nodes": ["nodes", "int"], "--name-prefix": ["namePrefix", "string"], "--start-index": ["startIndex", "int"] },
    });
    if (!flags.help && !flags.nodes) throw new Error("--nodes N (N >= 1) is required");
  } catch (err) {
    process.stderr.write(`k8ts sim: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (flags.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const log = createLogger({ fields: { component: "sim" } });
  let client;
  try {
    client = clientFrom(flags, "k8ts-sim");
  } catch (err) {
    log.error("cannot build an API client", { err });
    return 1;
  }
  const sim = new HollowNodes({
    client,
    count: flags.nodes!,
    namePrefix: flags.namePrefix,
    startIndex: flags.startIndex,
    capacity: capacityFrom(flags),
    labels: flags.labels,
    instanceType: flags.instanceType,
    log,
  });
  process.stdout.write(`k8ts sim: ${flags.nodes} hollow nodes against ${client.server}\n`);
  // What the shared client is holding back, for whoever watches the logs of a large run.
  const statsTimer = setInterval(() => {
    const s = sim.client.stats();
    log.info("hollow node requests", { sent: s.sent, inFlight: s.inFlight, queuedHeartbeats: s.queued[0], queued: s.queued[1], queuedEvents: s.queued[2], droppedEvents: s.droppedEvents, pods: sim.podCount() });
  }, 30_000);
  statsTimer.unref();
  await untilSignal(log, (signal) => sim.run(signal));
  clearInterval(statsTimer);
  client.close();
  return 0;
};
