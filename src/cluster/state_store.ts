// Where clusters live on disk: <root>/<name>/ holds state.json, the server's data directory (the datastore, which
// is what makes a cluster come back after its processes died), each node's directory and every process's log.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdir, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { ClusterRecord } from "./types.js";

export const DEFAULT_CLUSTERS_ROOT = "/var/lib/k8ts/clusters";
export const DEFAULT_CLUSTER_NAME = "k8ts";

const NAME_RE = /^[a-z0-9]([-a-z0-9]{0,18}[a-z0-9])?$/;

export function validateClusterName(name: string): void {
  if (!NAME_RE.test(name)) throw new Error(`invalid cluster name ${JSON.stringify(name)}: lower-case letters, digits and '-', at most 20 characters`);
}

export class StateStore {
  constructor(readonly root: string = DEFAULT_CLUSTERS_ROOT) {}

  dir(name: string): string {
    return join(this.root, name);
  }

  serverDir(name: string): string {
    return join(this.dir(name), "server");
  }

  nodeDir(name: string, node: string): string {
    return join(this.dir(name), "nodes", node);
  }

  kubeconfigPath(name: string): string {
    return join(this.dir(name), "kubeconfig.yaml");
  }

  read(name: string): ClusterRecord | undefined {
    const file = join(this.dir(name), "state.json");
    if (!existsSync(file)) return undefined;
    return JSON.parse(readFileSync(file, "utf8")) as ClusterRecord;
  }

  async write(rec: ClusterRecord): Promise<void> {
    const dir = this.dir(rec.name);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const file = join(dir, "state.json");
    await writeFile(`${file}.tmp`, JSON.stringify(rec, null, 2) + "\n", { mode: 0o600 });
    await rename(`${file}.tmp`, file);
  }

  /** Every cluster with a state file under the root. */
  list(): ClusterRecord[] {
    if (!existsSync(this.root)) return [];
    const out: ClusterRecord[] = [];
    for (const name of readdirSync(this.root).sort()) {
      try {
        const rec = this.read(name);
        if (rec) out.push(rec);
      } catch {
        // A torn or foreign file: not a cluster this tool can manage.
      }
    }
    return out;
  }
}
