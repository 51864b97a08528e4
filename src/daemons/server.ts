// `k8ts server` wiring: storage -> registry -> API server, bootstrap objects, and the admin kubeconfig.
// Tests and later components (controller manager, scheduler) start it in-process with startServer().
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { stringify as yamlStringify } from "yaml";
import type { StoredObject } from "../api/object.js";
import { schemaResolver } from "../api/openapi/schemas.js";
import { registryOpenAPI } from "../apiserver/openapi.js";
import { ADMIN_USER } from "../apiserver/pipeline.js";
import { createApiServer } from "../apiserver/server.js";
import { isAlreadyExists } from "../machinery/errors.js";
import { createRegistry } from "../registry/registry.js";
import type { Registry, RequestContext } from "../registry/rest.js";
import { ALL_RESOURCES } from "../registry/resources/all.js";
import { parseDatastoreUrl } from "../storage/datastore_url.js";
import { openStorage } from "../storage/factory.js";
import { createLogger, type Logger } from "../util/log.js";

export const DEFAULT_DATA_DIR = "/var/lib/k8ts/server";
export const DEFAULT_BIND_ADDRESS = "127.0.0.1";
export const DEFAULT_PORT = 6443;
/** The first address of the service CIDR 10.96.0.0/12 belongs to the `kubernetes` Service, as in Kubernetes. */
export const KUBERNETES_SERVICE_IP = "10.96.0.1";
export const SYSTEM_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease"];

export interface ServerOptions {
  dataDir?: string;
  /** sqlite:///path or etcd://host:port,...; default sqlite://<dataDir>/state.db. */
  datastore?: string;
  bindAddress?: string;
  /** 0 picks a free port. */
  port?: number;
  logger?: Logger;
}

export interface RunningServer {
  url: string;
  kubeconfigPath: string;
  registry: Registry;
  stop(): Promise<void>;
}

export async function startServer(opts: ServerOptions = {}): Promise<RunningServer> {
  const logger = opts.logger ?? createLogger({ fields: { component: "server" } });
  const dataDir = opts.dataDir ?? DEFAULT_DATA_DIR;
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const datastore = opts.datastore ?? `sqlite://${join(dataDir, "state.db")}`;
  const storage = await openStorage(parseDatastoreUrl(datastore), { logger: logger.with({ component: "storage" }) });
  const registry = createRegistry({ storage, resources: ALL_RESOURCES, resolver: schemaResolver(), logger });
  const api = createApiServer({ registry, openapi: registryOpenAPI(registry), logger: logger.with({ component: "apiserver" }) });
  let listening: { url: string; host: string; port: number };
  try {
    listening = await api.listen({ host: opts.bindAddress ?? DEFAULT_BIND_ADDRESS, port: opts.port ?? DEFAULT_PORT });
    await api.start();
  } catch (err) {
    await api.close().catch(() => undefined);
    await storage.close();
    throw err;
  }
  // Clients reach a wildcard bind through loopback.
  const clientHost = listening.host === "0.0.0.0" || listening.host === "::" ? "127.0.0.1" : listening.host;
  const url = `http://${clientHost.includes(":") ? `[${clientHost}]` : clientHost}:${listening.port}`;
  await bootstrap(registry, { host: clientHost, port: listening.port }, logger);
  const kubeconfigPath = join(dataDir, "kubeconfig.yaml");
  await writeFile(kubeconfigPath, adminKubeconfig(url), { mode: 0o600 });
  logger.info("server started", { url, datastore: datastore.replace(/\/\/.*@/, "//***@"), kubeconfig: kubeconfigPath });
  let stopped: Promise<void> | undefined;
  return {
    url,
    kubeconfigPath,
    registry,
    stop: () =>
      (stopped ??= (async () => {
        await api.close();
        await storage.close();
        logger.info("server stopped");
      })()),
  };
}

export function adminKubeconfig(server: string): string {
  return yamlStringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "k8ts", cluster: { server } }],
    users: [{ name: "admin", user: {} }],
    contexts: [{ name: "k8ts", context: { cluster: "k8ts", user: "admin" } }],
    "current-context": "k8ts",
    preferences: {},
  });
}

function adminContext(namespace?: string): RequestContext {
  return { namespace, version: "v1", user: { ...ADMIN_USER, groups: [...ADMIN_USER.groups] }, dryRun: false, fieldValidation: "Ignore", warnings: [] };
}

async function ensure(registry: Registry, group: string, resource: string, obj: StoredObject, logger: Logger): Promise<void> {
  const store = registry.store(group, resource);
  if (!store) return;
  try {
    await store.create(adminContext(obj.metadata.namespace), obj);
    logger.info("bootstrap object created", { resource, name: obj.metadata.name, namespace: obj.metadata.namespace });
  } catch (err) {
    if (!isAlreadyExists(err)) logger.warn("bootstrap object not created", { resource, name: obj.metadata.name, err });
  }
}

/** The objects every cluster starts with: system namespaces and the `kubernetes` Service pointing at the server. */
async function bootstrap(registry: Registry, server: { host: string; port: number }, logger: Logger): Promise<void> {
  for (const name of SYSTEM_NAMESPACES) {
    await ensure(registry, "", "namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name } }, logger);
  }
  const labels = { component: "apiserver", provider: "kubernetes" };
  await ensure(
    registry,
    "",
    "services",
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "kubernetes", namespace: "default", labels },
      spec: {
        type: "ClusterIP",
        clusterIP: KUBERNETES_SERVICE_IP,
        clusterIPs: [KUBERNETES_SERVICE_IP],
        ports: [{ name: "https", port: 443, protocol: "TCP", targetPort: server.port }],
        sessionAffinity: "None",
      },
    },
    logger,
  );
  await ensure(
    registry,
    "",
    "endpoints",
    {
      apiVersion: "v1",
      kind: "Endpoints",
      metadata: { name: "kubernetes", namespace: "default", labels: { "endpointslice.kubernetes.io/skip-mirror": "true" } },
      subsets: [{ addresses: [{ ip: server.host }], ports: [{ name: "https", port: server.port, protocol: "TCP" }] }],
    },
    logger,
  );
}
