// `k8ts server` wiring: storage -> registry -> API server, bootstrap objects, the admin kubeconfig, and the
// controller manager and scheduler in the same process (k3s style). Those two are API clients like any other:
// they reach the server over HTTP and share no memory with it. Tests start everything with startServer().
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { stringify as yamlStringify } from "yaml";
import type { StoredObject } from "../api/object.js";
import { schemaResolver } from "../api/openapi/schemas.js";
import { DefaultStorageClass } from "../apiserver/admission/default_storage_class.js";
import { StorageObjectInUseProtection } from "../apiserver/admission/storage_protection.js";
import { registryOpenAPI } from "../apiserver/openapi.js";
import { ADMIN_USER } from "../apiserver/pipeline.js";
import { createApiServer } from "../apiserver/server.js";
import { isAlreadyExists, isNotFound } from "../machinery/errors.js";
import { createClient } from "../client/rest_client.js";
import { WorkQueueMetrics } from "../client/workqueue_metrics.js";
import { ControllerManager, type ControllerManagerOptions } from "../controller/controller_manager.js";
import { customMetricsApiGroup } from "../metrics/custom_metrics_api.js";
import { metricsApiGroup } from "../metrics/metrics_api.js";
import { MetricsServer } from "../metrics/metrics_server.js";
import { HttpSummarySource } from "../metrics/summary_source.js";
import type { NodeAddressing } from "../metrics/types.js";
import { createRegistry } from "../registry/registry.js";
import type { Registry, RequestContext } from "../registry/rest.js";
import { ALL_RESOURCES } from "../registry/resources/all.js";
import { Scheduler } from "../scheduler/scheduler.js";
import { parseDatastoreUrl } from "../storage/datastore_url.js";
import { openStorage } from "../storage/factory.js";
import { createLogger, type Logger } from "../util/log.js";
import type { MetricsSource } from "../util/metrics/render.js";

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
  /** Run the controller manager in this process (default true). */
  controllers?: boolean;
  /** Run the scheduler in this process (default true). */
  scheduler?: boolean;
  /** Lease-based leader election for the in-process controller manager and scheduler, so several servers can
   *  share one datastore (default true). */
  leaderElect?: boolean;
  /** The in-process metrics server behind metrics.k8s.io (`kubectl top`, the HPA) and custom.metrics.k8s.io (pods'
   *  own Prometheus metrics); default on. */
  metrics?: boolean | MetricsOptions;
  /** Where the local-path provisioner makes volume directories (default /var/lib/k8ts/local-path). */
  localPathDir?: string;
  /** Tuning of the in-process controller manager: which controllers run (default all), workers per controller, the HPA sync period. */
  controllerManager?: Pick<ControllerManagerOptions, "horizontalPodAutoscaler" | "controllers" | "workers">;
  logger?: Logger;
}

export interface MetricsOptions {
  /** How often every node agent is scraped (default 15 s). */
  scrapeIntervalMs?: number;
  /** A node agent's base URL; default http://<InternalIP>:<kubelet port> (undefined: not scraped). */
  nodeUrl?: (node: NodeAddressing) => string | undefined;
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
  // The metrics server starts after the API server (it is one of its clients); until then metrics.k8s.io answers 503.
  const metrics: { server?: MetricsServer } = {};
  const extraGroups = opts.metrics === false ? [] : [metricsApiGroup(() => metrics.server), customMetricsApiGroup(() => metrics.server)];
  // The in-process controller manager's and scheduler's metrics show on the server's /metrics (k3s style).
  const componentMetrics: MetricsSource[] = [];
  const admission = { mutating: [new DefaultStorageClass(registry), new StorageObjectInUseProtection()], validating: [] };
  const api = createApiServer({ registry, openapi: registryOpenAPI(registry), admission, extraGroups, metricsSources: () => componentMetrics, logger: logger.with({ component: "apiserver" }) });
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
  const components = startComponents(url, opts, logger, metrics, componentMetrics);
  logger.info("server started", { url, datastore: datastore.replace(/\/\/.*@/, "//***@"), kubeconfig: kubeconfigPath });
  let stopped: Promise<void> | undefined;
  return {
    url,
    kubeconfigPath,
    registry,
    stop: () =>
      (stopped ??= (async () => {
        await components.stop();
        await api.close();
        await storage.close();
        logger.info("server stopped");
      })()),
  };
}

/** Components whose run(signal) lasts until the signal aborts. */
interface Component {
  name: string;
  run(signal: AbortSignal): Promise<void>;
}

/** Bounds how long shutdown waits for components to wind down before the API server goes away under them. */
const COMPONENT_STOP_TIMEOUT_MS = 3_000;

function startComponents(url: string, opts: ServerOptions, logger: Logger, metrics: { server?: MetricsServer }, componentMetrics: MetricsSource[]): { stop(): Promise<void> } {
  const ac = new AbortController();
  const clients: { close(): void }[] = [];
  const runs: Promise<void>[] = [];
  const leaderElect = opts.leaderElect ?? true;
  const launch = (make: () => Component): void => {
    const c = make();
    runs.push(
      c.run(ac.signal).catch((err) => {
        if (!ac.signal.aborted) logger.error("component stopped with an error", { component: c.name, err });
      }),
    );
  };
  if (opts.controllers ?? true) {
    launch(() => {
      const client = createClient({ server: url, userAgent: "k8ts-controller-manager" });
      clients.push(client);
      const queueMetrics = new WorkQueueMetrics();
      componentMetrics.push(queueMetrics.registry);
      const m = new ControllerManager({ client, leaderElect, queueMetrics, localPathDir: opts.localPathDir, ...opts.controllerManager, log: logger.with({ component: "controller-manager" }) });
      return { name: "controller-manager", run: (signal) => m.run(signal) };
    });
  }
  if (opts.scheduler ?? true) {
    launch(() => {
      const client = createClient({ server: url, userAgent: "k8ts-scheduler" });
      clients.push(client);
      const s = new Scheduler({ client, leaderElect, log: logger.with({ component: "scheduler" }) });
      componentMetrics.push(s.metrics.registry);
      return { name: "scheduler", run: (signal) => s.run(signal) };
    });
  }
  if (opts.metrics !== false) {
    launch(() => {
      const client = createClient({ server: url, userAgent: "k8ts-metrics-server" });
      clients.push(client);
      const mo = typeof opts.metrics === "object" ? opts.metrics : {};
      const m = new MetricsServer({ client, scrapeIntervalMs: mo.scrapeIntervalMs, source: new HttpSummarySource({ nodeUrl: mo.nodeUrl }), log: logger.with({ component: "metrics-server" }) });
      metrics.server = m;
      return { name: "metrics-server", run: (signal) => m.run(signal) };
    });
  }
  return {
    async stop() {
      ac.abort();
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          logger.warn("components did not stop in time", { ms: COMPONENT_STOP_TIMEOUT_MS });
          resolve();
        }, COMPONENT_STOP_TIMEOUT_MS);
      });
      await Promise.race([Promise.allSettled(runs), timeout]);
      clearTimeout(timer);
      for (const c of clients) c.close();
    },
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
  // The default StorageClass: claims that name no class get it (DefaultStorageClass admission), and the local-path
  // provisioner in the controller manager makes a directory on the node of the claim's first pod.
  await ensure(
    registry,
    "storage.k8s.io",
    "storageclasses",
    {
      apiVersion: "storage.k8s.io/v1",
      kind: "StorageClass",
      metadata: { name: "local-path", annotations: { "storageclass.kubernetes.io/is-default-class": "true" } },
      provisioner: "k8ts.io/local-path",
      reclaimPolicy: "Delete",
      volumeBindingMode: "WaitForFirstConsumer",
    },
    logger,
  );
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
  // The server's own address can change between runs (--port 0, another bind address): these two follow it.
  const endpointPort = { name: "https", port: server.port, protocol: "TCP" };
  await reconcile(
    registry,
    { group: "", resource: "endpoints", name: "kubernetes", same: (cur) => JSON.stringify(cur.subsets) === JSON.stringify([{ addresses: [{ ip: server.host }], ports: [endpointPort] }]) },
    {
      apiVersion: "v1",
      kind: "Endpoints",
      metadata: { name: "kubernetes", namespace: "default", labels: { "endpointslice.kubernetes.io/skip-mirror": "true" } },
      subsets: [{ addresses: [{ ip: server.host }], ports: [endpointPort] }],
    },
    logger,
  );
  const sliceEndpoints = [{ addresses: [server.host], conditions: { ready: true } }];
  await reconcile(
    registry,
    { group: "discovery.k8s.io", resource: "endpointslices", name: "kubernetes", same: (cur) => JSON.stringify([cur.endpoints, cur.ports]) === JSON.stringify([sliceEndpoints, [endpointPort]]) },
    {
      apiVersion: "discovery.k8s.io/v1",
      kind: "EndpointSlice",
      metadata: { name: "kubernetes", namespace: "default", labels: { "kubernetes.io/service-name": "kubernetes" } },
      addressType: "IPv4",
      endpoints: sliceEndpoints,
      ports: [endpointPort],
    },
    logger,
  );
}

/** Creates a default-namespace object, or replaces it when `same` says the stored one is out of date. */
async function reconcile(
  registry: Registry,
  ref: { group: string; resource: string; name: string; same: (cur: StoredObject) => boolean },
  obj: StoredObject,
  logger: Logger,
): Promise<void> {
  const store = registry.store(ref.group, ref.resource);
  if (!store) return;
  const ctx = adminContext("default");
  try {
    const cur = await store.get(ctx, ref.name);
    if (ref.same(cur)) return;
    await store.update(ctx, ref.name, { ...obj, metadata: { ...obj.metadata, resourceVersion: cur.metadata.resourceVersion } });
    logger.info("bootstrap object updated", { resource: ref.resource, name: ref.name });
  } catch (err) {
    if (isNotFound(err)) return ensure(registry, ref.group, ref.resource, obj, logger);
    logger.warn("bootstrap object not reconciled", { resource: ref.resource, name: ref.name, err });
  }
}
