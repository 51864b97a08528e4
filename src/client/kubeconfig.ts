// Reads a kubeconfig file (the YAML kubectl uses) into client options: the current (or named) context's cluster
// server and CA, and the user's token or client certificate.
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, dirname, isAbsolute, join } from "node:path";
import { parse } from "yaml";
import { createClient, type Client, type ClientOptions } from "./rest_client.js";

interface Named<T> {
  name: string;
  [key: string]: unknown;
  cluster?: T;
  user?: T;
  context?: T;
}

interface KubeconfigFile {
  "current-context"?: string;
  clusters?: Named<{ server?: string; "certificate-authority"?: string; "certificate-authority-data"?: string; "insecure-skip-tls-verify"?: boolean }>[];
  users?: Named<{
    token?: string;
    tokenFile?: string;
    "client-certificate"?: string;
    "client-certificate-data"?: string;
    "client-key"?: string;
    "client-key-data"?: string;
  }>[];
  contexts?: Named<{ cluster?: string; user?: string; namespace?: string }>[];
}

export interface KubeconfigOptions {
  /** Context to use instead of current-context. */
  context?: string;
  userAgent?: string;
}

export interface LoadedKubeconfig extends ClientOptions {
  /** The context's default namespace ("default" when unset). */
  namespace: string;
}

export function parseKubeconfig(text: string, baseDir: string, opts: KubeconfigOptions = {}): LoadedKubeconfig {
  const cfg = (parse(text) ?? {}) as KubeconfigFile;
  const ctxName = opts.context ?? cfg["current-context"];
  if (!ctxName) throw new Error("kubeconfig: no current-context and no context given");
  const ctx = cfg.contexts?.find((c) => c.name === ctxName)?.context;
  if (!ctx) throw new Error(`kubeconfig: context ${JSON.stringify(ctxName)} not found`);
  const cluster = cfg.clusters?.find((c) => c.name === ctx.cluster)?.cluster;
  if (!cluster?.server) throw new Error(`kubeconfig: cluster ${JSON.stringify(ctx.cluster)} of context ${JSON.stringify(ctxName)} has no server`);
  const user = cfg.users?.find((u) => u.name === ctx.user)?.user ?? {};
  const file = (p: string): Buffer => readFileSync(isAbsolute(p) ? p : join(baseDir, p));
  const material = (data?: string, path?: string): Buffer | undefined =>
    data ? Buffer.from(data, "base64") : path ? file(path) : undefined;
  const token = user.token ?? (user.tokenFile ? file(user.tokenFile).toString("utf8").trim() : undefined);
  return {
    server: cluster.server,
    token,
    userAgent: opts.userAgent,
    namespace: ctx.namespace ?? "default",
    tls: {
      ca: material(cluster["certificate-authority-data"], cluster["certificate-authority"]),
      cert: material(user["client-certificate-data"], user["client-certificate"]),
      key: material(user["client-key-data"], user["client-key"]),
      insecureSkipVerify: cluster["insecure-skip-tls-verify"] ?? false,
    },
  };
}

export function loadKubeconfig(path: string, opts: KubeconfigOptions = {}): LoadedKubeconfig {
  return parseKubeconfig(readFileSync(path, "utf8"), dirname(path), opts);
}

/** Where kubectl looks: the first entry of $KUBECONFIG, else ~/.kube/config. */
export function defaultKubeconfigPath(env: NodeJS.ProcessEnv = process.env): string {
  const first = env.KUBECONFIG?.split(delimiter).find((p) => p !== "");
  return first ?? join(homedir(), ".kube", "config");
}

/** A client for the kubeconfig's current (or named) context. */
export function fromKubeconfig(path: string, opts: KubeconfigOptions = {}): Client {
  return createClient(loadKubeconfig(path, opts));
}
