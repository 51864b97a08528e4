// Probes of real containers: exec runs the command in the container over CRI (ExecSync); tcpSocket and httpGet
// connect to the pod IP. When the node's pods live in a network namespace the agent is not in, the check runs inside
// it with nsenter and the host's static busybox (nc, wget), since a Node process cannot switch namespaces. grpc
// speaks HTTP/2 from the agent (grpc_health.ts), through a busybox nc relay into that namespace when needed.
import { request } from "node:http";
import { connect } from "node:net";
import type { Container, Probe } from "kubernetes-types/core/v1.js";
import { runCommand } from "../../containerd/command.js";
import { netnsDialer } from "../../streaming/dial.js";
import type { ProbeRequest, ProbeResult, Prober } from "../../types.js";
import type { ContainerRuntime } from "../types.js";
import { grpcHealthCheck } from "./grpc_health.js";

export interface CriProberOptions {
  runtime: ContainerRuntime;
  /** Network namespace (under /var/run/netns) holding the pod network, when the agent runs outside it. */
  netns?: string;
  busybox?: string;
}

/** Kubelet's default probe timeout. */
const DEFAULT_TIMEOUT_S = 1;

function portOf(container: Container, port: number | string | undefined): number | undefined {
  if (typeof port === "number") return port;
  if (port === undefined) return undefined;
  if (/^\d+$/.test(port)) return Number(port);
  return container.ports?.find((p) => p.name === port)?.containerPort;
}

function tcpCheck(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    const done = (ok: boolean): void => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once("connect", () => done(true));
    s.once("error", () => done(false));
  });
}

function httpCheck(url: string, timeoutMs: number, headers: Record<string, string>): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(url, { method: "GET", headers, timeout: timeoutMs }, (res) => {
      res.resume();
      // As the kubelet: 2xx and 3xx are success.
      resolve((res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 400);
    });
    req.once("timeout", () => req.destroy());
    req.once("error", () => resolve(false));
    req.end();
  });
}

export class CriProber implements Prober {
  constructor(private readonly o: CriProberOptions) {}

  async probe(req: ProbeRequest): Promise<ProbeResult> {
    const p: Probe = req.probe;
    const timeoutS = p.timeoutSeconds ?? DEFAULT_TIMEOUT_S;
    if (p.exec) {
      const res = await this.o.runtime.execSync(req.containerId, p.exec.command ?? [], timeoutS);
      return res.exitCode === 0 ? "success" : "failure";
    }
    if (p.grpc) {
      const host = req.pod.status?.podIP;
      if (!host) return "failure";
      const netns = this.o.netns;
      const connect = netns ? () => netnsDialer(netns, { busybox: this.o.busybox })(host, p.grpc!.port) : undefined;
      const res = await grpcHealthCheck({ host, port: p.grpc.port, service: p.grpc.service ?? "", timeoutMs: timeoutS * 1000, connect });
      return res.ok ? "success" : "failure";
    }
    const check = p.tcpSocket ?? p.httpGet;
    if (!check) return "failure";
    const host = check.host || req.pod.status?.podIP;
    const port = portOf(req.container, check.port);
    if (!host || !port) return "failure";
    const ok = p.httpGet ? await this.http(p, host, port, timeoutS) : await this.tcp(host, port, timeoutS);
    return ok ? "success" : "failure";
  }

  private inNetns(args: string[], timeoutS: number): Promise<boolean> {
    const busybox = this.o.busybox ?? "/bin/busybox";
    return runCommand("nsenter", [`--net=/var/run/netns/${this.o.netns}`, busybox, "timeout", String(timeoutS), busybox, ...args], { timeoutMs: (timeoutS + 5) * 1000 }).then(
      () => true,
      () => false,
    );
  }

  private tcp(host: string, port: number, timeoutS: number): Promise<boolean> {
    // busybox nc has no -z: running true once connected makes it exit 0 on connect and 1 when refused.
    if (this.o.netns) return this.inNetns(["nc", host, String(port), "-e", "/bin/true"], timeoutS);
    return tcpCheck(host, port, timeoutS * 1000);
  }

  private http(p: Probe, host: string, port: number, timeoutS: number): Promise<boolean> {
    const g = p.httpGet!;
    const scheme = (g.scheme ?? "HTTP").toLowerCase();
    const path = g.path?.startsWith("/") ? g.path : `/${g.path ?? ""}`;
    const url = `${scheme}://${host.includes(":") ? `[${host}]` : host}:${port}${path}`;
    // busybox wget exits non-zero for answers >= 400, as the kubelet counts them failures.
    if (this.o.netns) return this.inNetns(["wget", "-q", "-O", "/dev/null", url], timeoutS);
    const headers: Record<string, string> = { "User-Agent": "kube-probe/1.31" };
    for (const h of g.httpHeaders ?? []) headers[h.name] = h.value;
    return httpCheck(url, timeoutS * 1000, headers);
  }
}
