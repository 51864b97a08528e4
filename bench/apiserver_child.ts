// The API server under benchmark, in its own process (so the load generator does not share its event loop).
// Prints {"url": ...} on stdout once it serves, stops on SIGTERM. Runs the product from dist/ (default) or src/.
// With K8TS_BENCH_PROFILE=DIR, SIGUSR2 starts a CPU profile and the next SIGUSR2 writes it to DIR (the benchmark
// signals around its measured phase, so the profile holds no setup).
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { join } from "node:path";
import { loadProduct, productBuild } from "./support.js";

const dataDir = process.argv[2];
if (!dataDir) throw new Error("usage: apiserver_child.ts DATA_DIR [dist|src]");
// The parent has already compiled dist/ when it asks for it.
const build = productBuild(process.argv[3], { build: false });
const { startServer } = await loadProduct<typeof import("../src/daemons/server.js")>(build, "daemons/server");
const { silentLogger } = await loadProduct<typeof import("../src/util/log.js")>(build, "util/log");
// The API server alone: the benchmark measures requests, not controllers reacting to them.
const server = await startServer({ dataDir, port: 0, bindAddress: "127.0.0.1", logger: silentLogger, controllers: false, scheduler: false });

const profileDir = process.env.K8TS_BENCH_PROFILE;
let profiling: Promise<void> = Promise.resolve();
if (profileDir) {
  const session = new Session();
  session.connect();
  let on = false;
  process.on("SIGUSR2", () => {
    on = !on;
    profiling = profiling.then(async () => {
      if (on) {
        await session.post("Profiler.enable");
        await session.post("Profiler.start");
        return;
      }
      const { profile } = await session.post("Profiler.stop");
      writeFileSync(join(profileDir, `apiserver-${process.pid}-${Date.now()}.cpuprofile`), JSON.stringify(profile));
    });
  });
}

process.stdout.write(JSON.stringify({ url: server.url }) + "\n");
process.on("SIGTERM", () => {
  void profiling.then(() => server.stop()).then(() => process.exit(0));
});
