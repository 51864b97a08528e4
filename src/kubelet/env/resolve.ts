// A container's environment as Kubernetes builds it: envFrom sources first (prefix added, keys that are no valid
// variable name skipped), then env in order, each value either a literal with $(VAR) references expanded against
// the variables before it and the service links, or a valueFrom reference resolved without expansion; service link
// variables the container did not define itself come last. A missing config map, secret or key that is not
// optional is a ConfigError (the container waits in CreateContainerConfigError).
import type { ConfigMap, Container, Pod, Secret } from "kubernetes-types/core/v1.js";
import type { PodObjectSource } from "../volumes/sources.js";
import { expand, lookupIn } from "./expand.js";
import { ConfigError, resolveFieldRef, resolveResourceFieldRef, type PodRuntimeFacts } from "./field_ref.js";
import { serviceEnv } from "./service_env.js";

export interface EnvVar {
  key: string;
  value: string;
}

export interface ResolveEnvOptions {
  source: PodObjectSource;
  facts: PodRuntimeFacts;
  /** The node's allocatable resources: what an unset limit reads as. */
  allocatable?: Record<string, string>;
}

/** Printable ASCII without "=", the names Kubernetes accepts for variables from envFrom. */
const VALID_NAME = /^[\x21-\x3c\x3e-\x7e]+$/;

const secretValue = (s: Secret, key: string): string | undefined => {
  const b64 = s.data?.[key];
  return b64 === undefined ? s.stringData?.[key] : Buffer.from(b64, "base64").toString("utf8");
};

const configMapValue = (cm: ConfigMap, key: string): string | undefined => {
  const v = cm.data?.[key];
  if (v !== undefined) return v;
  const bin = cm.binaryData?.[key];
  return bin === undefined ? undefined : Buffer.from(bin, "base64").toString("utf8");
};

/** Objects read once per resolution, so a container sees one version of each. */
class Reader {
  private readonly cms = new Map<string, Promise<ConfigMap | undefined>>();
  private readonly secrets = new Map<string, Promise<Secret | undefined>>();
  constructor(
    private readonly source: PodObjectSource,
    private readonly ns: string,
  ) {}
  configMap(name: string): Promise<ConfigMap | undefined> {
    let p = this.cms.get(name);
    if (!p) this.cms.set(name, (p = this.source.configMap(this.ns, name)));
    return p;
  }
  secret(name: string): Promise<Secret | undefined> {
    let p = this.secrets.get(name);
    if (!p) this.secrets.set(name, (p = this.source.secret(this.ns, name)));
    return p;
  }
}

export async function resolveEnv(pod: Pod, c: Container, o: ResolveEnvOptions): Promise<EnvVar[]> {
  const ns = pod.metadata?.namespace ?? "default";
  const read = new Reader(o.source, ns);
  const nsServices = await o.source.services(ns);
  const services = serviceEnv(ns, {
    services: nsServices,
    defaultServices: ns === "default" ? nsServices : await o.source.services("default"),
    enableServiceLinks: pod.spec?.enableServiceLinks ?? true,
  });
  const vars = new Map<string, string>();

  for (const from of c.envFrom ?? []) {
    const prefix = from.prefix ?? "";
    let entries: Array<[string, string]> = [];
    if (from.configMapRef) {
      const name = from.configMapRef.name ?? "";
      const cm = await read.configMap(name);
      if (!cm) {
        if (from.configMapRef.optional) continue;
        throw new ConfigError(`configmap "${name}" not found`);
      }
      entries = [...Object.keys(cm.data ?? {}), ...Object.keys(cm.binaryData ?? {})].map((k) => [k, configMapValue(cm, k) ?? ""]);
    } else if (from.secretRef) {
      const name = from.secretRef.name ?? "";
      const s = await read.secret(name);
      if (!s) {
        if (from.secretRef.optional) continue;
        throw new ConfigError(`secret "${name}" not found`);
      }
      entries = Object.keys(s.data ?? {}).map((k) => [k, secretValue(s, k) ?? ""]);
    }
    for (const [k, v] of entries) if (VALID_NAME.test(prefix + k)) vars.set(prefix + k, v);
  }

  for (const e of c.env ?? []) {
    let value = e.value ?? "";
    if (value !== "") value = expand(value, lookupIn(vars, services));
    else if (e.valueFrom) {
      const from = e.valueFrom;
      if (from.fieldRef) value = resolveFieldRef(pod, from.fieldRef, o.facts);
      else if (from.resourceFieldRef) value = resolveResourceFieldRef(pod, from.resourceFieldRef, { container: c, allocatable: o.allocatable });
      else if (from.configMapKeyRef) {
        const { name = "", key, optional } = from.configMapKeyRef;
        const cm = await read.configMap(name);
        const v = cm ? configMapValue(cm, key) : undefined;
        if (v === undefined) {
          if (optional) continue;
          throw new ConfigError(cm ? `couldn't find key ${key} in ConfigMap ${ns}/${name}` : `configmap "${name}" not found`);
        }
        value = v;
      } else if (from.secretKeyRef) {
        const { name = "", key, optional } = from.secretKeyRef;
        const s = await read.secret(name);
        const v = s ? secretValue(s, key) : undefined;
        if (v === undefined) {
          if (optional) continue;
          throw new ConfigError(s ? `couldn't find key ${key} in Secret ${ns}/${name}` : `secret "${name}" not found`);
        }
        value = v;
      }
    }
    vars.set(e.name, value);
  }

  const out: EnvVar[] = [...vars].map(([key, value]) => ({ key, value }));
  for (const [key, value] of services) if (!vars.has(key)) out.push({ key, value });
  return out;
}

/** command and args with $(VAR) expanded against the container's resolved environment. */
export function expandCommand(c: Container, envs: EnvVar[]): { command?: string[]; args?: string[] } {
  const lookup = lookupIn(new Map(envs.map((e) => [e.key, e.value])));
  return { command: c.command?.map((s) => expand(s, lookup)), args: c.args?.map((s) => expand(s, lookup)) };
}
