// The cluster's kubeconfig (context, cluster and user all named k8ts-<name>) and its merge into, and removal from,
// a shared kubeconfig such as ~/.kube/config, leaving every other entry as it was.
import { existsSync, readFileSync } from "node:fs";
import { mkdir, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { parse, stringify } from "yaml";

interface Named<T> {
  name: string;
  [k: string]: unknown;
  cluster?: T;
  context?: T;
  user?: T;
}

interface KubeconfigDoc {
  apiVersion?: string;
  kind?: string;
  clusters?: Named<unknown>[];
  contexts?: Named<unknown>[];
  users?: Named<unknown>[];
  "current-context"?: string;
  preferences?: unknown;
  [k: string]: unknown;
}

export const contextName = (cluster: string): string => `k8ts-${cluster}`;

export function clusterKubeconfig(cluster: string, server: string): KubeconfigDoc {
  const n = contextName(cluster);
  return {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: n, cluster: { server } }],
    users: [{ name: n, user: {} }],
    contexts: [{ name: n, context: { cluster: n, user: n } }],
    "current-context": n,
    preferences: {},
  };
}

async function writeAtomic(path: string, doc: KubeconfigDoc): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFile(`${path}.k8ts-tmp`, stringify(doc), { mode: 0o600 });
  await rename(`${path}.k8ts-tmp`, path);
}

export async function writeKubeconfig(path: string, cluster: string, server: string): Promise<void> {
  await writeAtomic(path, clusterKubeconfig(cluster, server));
}

function load(path: string): KubeconfigDoc {
  if (!existsSync(path)) return { apiVersion: "v1", kind: "Config", clusters: [], contexts: [], users: [], preferences: {} };
  return (parse(readFileSync(path, "utf8")) as KubeconfigDoc | null) ?? {};
}

const without = <T>(list: Named<T>[] | undefined, name: string): Named<T>[] => (list ?? []).filter((e) => e.name !== name);

/** Adds (or replaces) the cluster's entries and makes its context current. */
export async function mergeKubeconfig(path: string, cluster: string, server: string): Promise<void> {
  const doc = load(path);
  const mine = clusterKubeconfig(cluster, server);
  const n = contextName(cluster);
  doc.clusters = [...without(doc.clusters, n), ...mine.clusters!];
  doc.users = [...without(doc.users, n), ...mine.users!];
  doc.contexts = [...without(doc.contexts, n), ...mine.contexts!];
  doc["current-context"] = n;
  doc.apiVersion ??= "v1";
  doc.kind ??= "Config";
  await writeAtomic(path, doc);
}

/** Takes the cluster's entries out again; the current context is cleared when it was this cluster's. */
export async function unmergeKubeconfig(path: string, cluster: string): Promise<void> {
  if (!existsSync(path)) return;
  const doc = load(path);
  const n = contextName(cluster);
  doc.clusters = without(doc.clusters, n);
  doc.users = without(doc.users, n);
  doc.contexts = without(doc.contexts, n);
  if (doc["current-context"] === n) delete doc["current-context"];
  await writeAtomic(path, doc);
}
