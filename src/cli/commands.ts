// Registers every subcommand beyond `version`. Each entry loads its module lazily so `k8ts version` stays fast.
import { registerCommand } from "./main.js";

registerCommand("server", "run the API server (SQLite or etcd datastore) and write an admin kubeconfig", async () => (await import("./server_command.js")).serverCommand);
