// Service links: the Docker-link style variables a container gets for the services of its namespace
// (<NAME>_SERVICE_HOST, <NAME>_SERVICE_PORT, <NAME>_PORT_<port>_<PROTO>...). With enableServiceLinks false only the
// API server's "kubernetes" service (from the default namespace) is kept, as Kubernetes does.
import type { Service } from "kubernetes-types/core/v1.js";

const envName = (s: string): string => s.toUpperCase().replace(/-/g, "_");

function serviceVars(svc: Service, out: Map<string, string>): void {
  const ip = svc.spec?.clusterIP;
  const ports = svc.spec?.ports ?? [];
  if (!ip || ip === "None" || ports.length === 0) return;
  const name = envName(svc.metadata?.name ?? "");
  out.set(`${name}_SERVICE_HOST`, ip);
  out.set(`${name}_SERVICE_PORT`, String(ports[0]!.port));
  for (const p of ports) if (p.name) out.set(`${name}_SERVICE_PORT_${envName(p.name)}`, String(p.port));
  const first = ports[0]!;
  out.set(`${name}_PORT`, `${(first.protocol ?? "TCP").toLowerCase()}://${ip}:${first.port}`);
  for (const p of ports) {
    const proto = p.protocol ?? "TCP";
    const prefix = `${name}_PORT_${p.port}_${proto.toUpperCase()}`;
    out.set(prefix, `${proto.toLowerCase()}://${ip}:${p.port}`);
    out.set(`${prefix}_PROTO`, proto.toLowerCase());
    out.set(`${prefix}_PORT`, String(p.port));
    out.set(`${prefix}_ADDR`, ip);
  }
}

/** Variables for the namespace's services; defaultServices are those of the "default" namespace. */
export function serviceEnv(namespace: string, opts: { services: Service[]; defaultServices: Service[]; enableServiceLinks: boolean }): Map<string, string> {
  const out = new Map<string, string>();
  const chosen: Service[] = [];
  const master = opts.defaultServices.find((s) => s.metadata?.name === "kubernetes");
  if (master) chosen.push(master);
  if (opts.enableServiceLinks) for (const s of opts.services) if (!(namespace === "default" && s.metadata?.name === "kubernetes")) chosen.push(s);
  // Namespace services win over the master service's variables of the same name.
  for (const s of chosen) serviceVars(s, out);
  return out;
}
