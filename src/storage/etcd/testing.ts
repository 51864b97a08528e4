// Starts real etcd servers (the Debian etcd-server binary) on free loopback ports for tests and benchmarks.
// Each cluster owns a temp dir with one data dir and log file per member; stop() ends only the PIDs it started
// and removes the dir.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, openSync, closeSync, rmSync, readFileSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface EtcdCluster {
  /** "127.0.0.1:port" client endpoints, one per member, in member order. */
  endpoints: string[];
  /** SIGKILLs member i (a crash, no clean shutdown). */
  kill(i: number): Promise<void>;
  /** The tail of member i's log, for failure messages. */
  logTail(i: number): string;
  /** SIGTERMs every member still running (SIGKILL after 2 s), waits for it to exit, removes the temp dir. Idempotent. */
  stop(): Promise<void>;
}

export interface StartEtcdOptions {
  members?: 1 | 3;
  /** etcd binary (default /usr/bin/etcd or $K8TS_ETCD_BIN). */
  binary?: string;
  /** How long to wait for the cluster to become healthy. Generous: only a broken install hits it. */
  startTimeoutMs?: number;
}

/** Room for a MAX_VALUE_BYTES (1.5 MiB) value plus key and framing; etcd's default is exactly 1.5 MiB. */
export const ETCD_MAX_REQUEST_BYTES = 2 * 1024 * 1024;

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // If the test process dies before stop(), don't leave our etcd servers running.
  process.on("exit", () => {
    for (const child of live) if (child.pid !== undefined && child.exitCode === null) child.kill("SIGKILL");
  });
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function healthy(clientPort: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ host: "127.0.0.1", port: clientPort, path: "/health", timeout: 1000 }, (res) => {
      let body = "";
      res.on("data", (c: Buffer) => (body += c.toString()));
      res.on("end", () => resolve(res.statusCode === 200 && body.includes('"health":"true"')));
    });
    req.on("error", () => resolve(false));
    req.on("timeout", () => {
      req.destroy();
      resolve(false);
    });
  });
}

function waitExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

export async function startEtcd(opts: StartEtcdOptions = {}): Promise<EtcdCluster> {
  installExitHook();
  const n = opts.members ?? 1;
  const binary = opts.binary ?? process.env.K8TS_ETCD_BIN ?? "/usr/bin/etcd";
  const dir = mkdtempSync(join(tmpdir(), "k8ts-etcd-"));
  const clientPorts: number[] = [];
  const peerPorts: number[] = [];
  for (let i = 0; i < n; i++) {
    clientPorts.push(await freePort());
    peerPorts.push(await freePort());
  }
  const initialCluster = peerPorts.map((p, i) => `m${i}=http://127.0.0.1:${p}`).join(",");
  const logs: string[] = [];
  const children: ChildProcess[] = [];
  for (let i = 0; i < n; i++) {
    const logPath = join(dir, `m${i}.log`);
    logs.push(logPath);
    const fd = openSync(logPath, "a");
    const args = [
      `--name=m${i}`,
      `--data-dir=${join(dir, `m${i}`)}`,
      `--listen-client-urls=http://127.0.0.1:${clientPorts[i]}`,
      `--advertise-client-urls=http://127.0.0.1:${clientPorts[i]}`,
      `--listen-peer-urls=http://127.0.0.1:${peerPorts[i]}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${peerPorts[i]}`,
      `--initial-cluster=${initialCluster}`,
      "--initial-cluster-state=new",
      `--initial-cluster-token=k8ts-test-${process.pid}-${clientPorts[0]}`,
      `--max-request-bytes=${ETCD_MAX_REQUEST_BYTES}`,
      "--logger=zap",
      "--log-outputs=stderr",
    ];
    const child = spawn(binary, args, { stdio: ["ignore", fd, fd] });
    closeSync(fd);
    live.add(child);
    child.once("exit", () => live.delete(child));
    children.push(child);
  }

  const logTail = (i: number): string => {
    try {
      return readFileSync(logs[i]!, "utf8").split("\n").slice(-15).join("\n");
    } catch {
      return "(no log)";
    }
  };

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    for (const child of children) {
      // A member whose peers are gone spends seconds trying to hand over leadership; the data is thrown away anyway.
      if (!(await waitExit(child, 2_000))) {
        child.kill("SIGKILL");
        await waitExit(child, 10_000);
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + (opts.startTimeoutMs ?? 60_000);
  for (;;) {
    const exited = children.findIndex((c) => c.exitCode !== null || c.signalCode !== null);
    if (exited >= 0) {
      const tail = logTail(exited);
      await stop();
      throw new Error(`etcd member m${exited} exited during startup:\n${tail}`);
    }
    const states = await Promise.all(clientPorts.map((p) => healthy(p)));
    if (states.every(Boolean)) break;
    if (Date.now() > deadline) {
      const tail = logTail(states.findIndex((s) => !s));
      await stop();
      throw new Error(`etcd did not become healthy in time:\n${tail}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }

  return {
    endpoints: clientPorts.map((p) => `127.0.0.1:${p}`),
    logTail,
    async kill(i: number) {
      const child = children[i];
      if (!child) throw new Error(`no etcd member ${i}`);
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGKILL");
        await waitExit(child, 10_000);
      }
    },
    stop,
  };
}
