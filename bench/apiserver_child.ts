// The API server under benchmark, in its own process (so the load generator does not share its event loop).
// Prints {"url": ...} on stdout once it serves, stops on SIGTERM.
import { startServer } from "../src/daemons/server.js";
import { silentLogger } from "../src/util/log.js";

const dataDir = process.argv[2];
if (!dataDir) throw new Error("usage: apiserver_child.ts DATA_DIR");
// The API server alone: the benchmark measures requests, not controllers reacting to them.
const server = await startServer({ dataDir, port: 0, bindAddress: "127.0.0.1", logger: silentLogger, controllers: false, scheduler: false });
process.stdout.write(JSON.stringify({ url: server.url }) + "\n");
process.on("SIGTERM", () => {
  void server.stop().then(() => process.exit(0));
});
