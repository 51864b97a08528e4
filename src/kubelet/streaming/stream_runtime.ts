// What streaming needs from the container runtime beyond runtime/types.ts: CRI's Exec, Attach and PortForward
// (each answers a one-time URL on the runtime's own streaming server, which then speaks the client protocols) and the
// log file of a container instance. Implemented over the CRI client of the containerd runtime; the simulated runtime
// has no streams.
import { RuntimeError } from "../runtime/types.js";
import type { CriClient } from "../runtime/cri/cri_client.js";

export interface ExecRequest {
  containerId: string;
  cmd: string[];
  tty: boolean;
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
}

export type AttachRequest = Omit<ExecRequest, "cmd">;

export interface StreamingRuntime {
  /** A URL on the runtime's streaming server that runs cmd in the container once a client connects. */
  exec(req: ExecRequest): Promise<URL>;
  /** A URL that attaches to the container's main process. */
  attach(req: AttachRequest): Promise<URL>;
  /** A URL that forwards ports into the sandbox's network namespace (ports named per stream by the client). */
  portForward(podSandboxId: string, ports: number[]): Promise<URL>;
  /** The absolute path of a container instance's log file ("" when it has none). */
  logPath(containerId: string): Promise<string>;
}

function parseUrl(method: string, raw: string): URL {
  try {
    return new URL(raw);
  } catch {
    throw new RuntimeError("Unknown", `cri ${method}: the runtime answered an invalid streaming URL ${JSON.stringify(raw)}`);
  }
}

/** StreamingRuntime over CRI v1 (containerd). */
export function criStreamingRuntime(client: CriClient): StreamingRuntime {
  const rt = <Res>(method: string, req: object): Promise<Res> => client.call<Res>("RuntimeService", method, req, { timeoutMs: 30_000 });
  return {
    async exec(r) {
      const res = await rt<{ url: string }>("Exec", { container_id: r.containerId, cmd: r.cmd, tty: r.tty, stdin: r.stdin, stdout: r.stdout, stderr: r.stderr });
      return parseUrl("Exec", res.url);
    },
    async attach(r) {
      const res = await rt<{ url: string }>("Attach", { container_id: r.containerId, tty: r.tty, stdin: r.stdin, stdout: r.stdout, stderr: r.stderr });
      return parseUrl("Attach", res.url);
    },
    async portForward(podSandboxId, ports) {
      const res = await rt<{ url: string }>("PortForward", { pod_sandbox_id: podSandboxId, port: ports });
      return parseUrl("PortForward", res.url);
    },
    async logPath(containerId) {
      const res = await rt<{ status: { log_path?: string } | null }>("ContainerStatus", { container_id: containerId });
      if (!res.status) throw new RuntimeError("NotFound", `containerStatus: container ${JSON.stringify(containerId)} not found`);
      return res.status.log_path ?? "";
    },
  };
}
