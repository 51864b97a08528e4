// The API objects a node agent reads for its pods' volumes and env: config maps, secrets, services, claims and
// volumes. Reads go straight to the API server, so a change to a config map shows up at the pod's next sync; only
// the service list (for service link variables, read at every container start) is kept for a few seconds.
import type { ConfigMap, PersistentVolume, PersistentVolumeClaim, Secret, Service } from "kubernetes-types/core/v1.js";
import type { KubeObject } from "../../api/object.js";
import type { Client } from "../../client/rest_client.js";
import { resources } from "../../client/resources.js";
import { isNotFound } from "../../machinery/errors.js";

/** Lookups answer undefined for an object that does not exist; other failures throw. */
export interface PodObjectSource {
  configMap(namespace: string, name: string): Promise<ConfigMap | undefined>;
  secret(namespace: string, name: string): Promise<Secret | undefined>;
  persistentVolumeClaim(namespace: string, name: string): Promise<PersistentVolumeClaim | undefined>;
  persistentVolume(name: string): Promise<PersistentVolume | undefined>;
  services(namespace: string): Promise<Service[]>;
}

async function orUndefined<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** How long a namespace's service list is reused: container starts in a burst share one list. */
const SERVICES_TTL_MS = 5000;

export function clientObjectSource(client: Client, opts: { now?: () => number } = {}): PodObjectSource {
  const now = opts.now ?? Date.now;
  const serviceCache = new Map<string, { at: number; items: Promise<Service[]> }>();
  const cms = client.resource<ConfigMap & KubeObject>(resources.configmaps);
  const secrets = client.resource<Secret & KubeObject>(resources.secrets);
  const pvcs = client.resource<PersistentVolumeClaim & KubeObject>(resources.persistentvolumeclaims);
  const pvs = client.resource<PersistentVolume & KubeObject>(resources.persistentvolumes);
  const svcs = client.resource<Service & KubeObject>(resources.services);
  return {
    configMap: (ns, name) => orUndefined(cms.get(ns, name)),
    secret: (ns, name) => orUndefined(secrets.get(ns, name)),
    persistentVolumeClaim: (ns, name) => orUndefined(pvcs.get(ns, name)),
    persistentVolume: (name) => orUndefined(pvs.get(undefined, name)),
    services: (ns) => {
      const hit = serviceCache.get(ns);
      if (hit && now() - hit.at < SERVICES_TTL_MS) return hit.items;
      const items = svcs.list(ns).then((l) => l.items);
      serviceCache.set(ns, { at: now(), items });
      // A failed list is not reused.
      items.catch(() => serviceCache.delete(ns));
      return items;
    },
  };
}

/** An in-memory source for tests: objects keyed "namespace/name" (volumes by name). */
export class FakeObjectSource implements PodObjectSource {
  readonly configMaps = new Map<string, ConfigMap>();
  readonly secrets = new Map<string, Secret>();
  readonly claims = new Map<string, PersistentVolumeClaim>();
  readonly volumes = new Map<string, PersistentVolume>();
  readonly serviceList: Service[] = [];
  configMap = async (ns: string, name: string): Promise<ConfigMap | undefined> => structuredClone(this.configMaps.get(`${ns}/${name}`));
  secret = async (ns: string, name: string): Promise<Secret | undefined> => structuredClone(this.secrets.get(`${ns}/${name}`));
  persistentVolumeClaim = async (ns: string, name: string): Promise<PersistentVolumeClaim | undefined> => this.claims.get(`${ns}/${name}`);
  persistentVolume = async (name: string): Promise<PersistentVolume | undefined> => this.volumes.get(name);
  services = async (ns: string): Promise<Service[]> => this.serviceList.filter((s) => (s.metadata?.namespace ?? "default") === ns);
}
