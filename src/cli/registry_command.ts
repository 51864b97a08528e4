// `k8ts registry status|up|down [--name CLUSTER]`: the local image registry of a cluster (Debian's docker-registry on
// <hostIP>:5000, started by `k8ts cluster up`, stopped by `cluster down`); `k8ts registry serve --listen HOST:PORT
// --dir DIR` runs one in the foreground for agents outside a local cluster.
import { resolve } from "node:path";
import type { Command } from "./main.js";
import { clusterRegistryStatus, ensureClusterRegistry, registrySkipReason, startRegistry, stopClusterRegistry } from "../cluster/image_registry.js";
import { DEFAULT_CLUSTER_NAME, DEFAULT_CLUSTERS_ROOT, StateStore } from "../cluster/state_store.js";
import { createLogger } from "../util/log.js";
import { parseFlags, untilSignal } from "./agent_command.js";

const USAGE = `usage: k8ts registry status|up|down [--name CLUSTER] [--root DIR]
       k8ts registry serve --listen HOST:PORT --dir DIR

status   where the cluster's registry listens, its storage, whether it runs
up       start the cluster's registry if it is not running (\`k8ts cluster up\` starts it)
down     stop it (its storage stays until \`k8ts cluster down\`)
serve    run a registry in the foreground until SIGTERM/SIGINT, storage under DIR

Push images with \`k8ts image push SOURCE HOST:PORT/NAME:TAG\`; pods then use image HOST:PORT/NAME:TAG.

flags:
  --name N      cluster name (default ${DEFAULT_CLUSTER_NAME})
  --root DIR    where clusters are kept (default ${DEFAULT_CLUSTERS_ROOT})
`;

interface RegistryFlags {
  name?: string;
  root?: string;
  listen?: string;
  dir?: string;
  help?: boolean;
}

export const registryCommand: Command = async (args) => {
  const [sub, ...rest] = args;
  if (!sub || sub === "-h" || sub === "--help") {
    process.stdout.write(USAGE);
    return sub ? 0 : 2;
  }
  let flags: RegistryFlags;
  try {
    flags = parseFlags<RegistryFlags>(rest, { names: { "--name": ["name", "string"], "--root": ["root", "string"], "--listen": ["listen", "string"], "--dir": ["dir", "string"] } });
  } catch (err) {
    process.stderr.write(`k8ts registry: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (flags.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (!["status", "up", "down", "serve"].includes(sub)) {
    process.stderr.write(`k8ts registry: unknown command ${JSON.stringify(sub)}\n\n${USAGE}`);
    return 2;
  }
  const missing = registrySkipReason();
  if (missing && sub !== "status") {
    process.stderr.write(`k8ts registry: ${missing}\n`);
    return 1;
  }
  if (sub === "serve") {
    if (!flags.listen || !flags.dir) {
      process.stderr.write(`k8ts registry serve: --listen HOST:PORT and --dir DIR are required\n\n${USAGE}`);
      return 2;
    }
    const log = createLogger({ fields: { component: "registry" } });
    const reg = await startRegistry({ dir: resolve(flags.dir), listen: flags.listen });
    log.info("registry serving", { address: reg.address, storage: reg.layout.storage, log: reg.layout.logFile });
    await untilSignal(log, (signal) => new Promise<void>((r) => signal.addEventListener("abort", () => r(), { once: true })));
    await reg.stop();
    return 0;
  }
  const store = new StateStore(flags.root ?? DEFAULT_CLUSTERS_ROOT);
  const name = flags.name ?? DEFAULT_CLUSTER_NAME;
  const rec = store.read(name);
  if (!rec) {
    process.stderr.write(`k8ts registry: no cluster ${JSON.stringify(name)} (k8ts cluster up --name ${name})\n`);
    return 1;
  }
  if (rec.runtime !== "containerd") {
    process.stderr.write(`k8ts registry: cluster ${name} runs simulated nodes, which pull nothing\n`);
    return 1;
  }
  try {
    if (sub === "up") await ensureClusterRegistry(rec, store);
    if (sub === "down") await stopClusterRegistry(rec, store);
  } catch (err) {
    process.stderr.write(`k8ts registry ${sub}: ${(err as Error).message}\n`);
    return 1;
  }
  const st = clusterRegistryStatus(rec, store);
  process.stdout.write(`registry  ${st.address}  ${st.running ? `running (pid ${st.pid})` : "stopped"}\nstorage   ${st.storage}\n`);
  return 0;
};
