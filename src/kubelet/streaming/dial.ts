// Reaching the runtime's streaming server. containerd binds it to 127.0.0.1 of the network namespace it runs in;
// an agent in the same namespace connects directly, an agent outside it (containerd started in a node namespace with
// --netns) goes through a relay process entered into that namespace (a Node process cannot switch namespaces itself):
// the host's static busybox nc, whose stdin/stdout become the connection.
import { spawn } from "node:child_process";
import net from "node:net";
import { Duplex } from "node:stream";

export type Dialer = (host: string, port: number) => Duplex;

export function directDialer(): Dialer {
  return (host, port) => net.connect({ host, port });
}

/** Connections made from inside /var/run/netns/<netns>; the relay dies with the connection. */
export function netnsDialer(netns: string, opts: { busybox?: string } = {}): Dialer {
  const busybox = opts.busybox ?? "/bin/busybox";
  return (host, port) => {
    const child = spawn("nsenter", [`--net=/var/run/netns/${netns}`, busybox, "nc", host, String(port)], { stdio: ["pipe", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-500)));
    const conn = Duplex.from({ readable: child.stdout, writable: child.stdin });
    child.stdin.on("error", () => undefined);
    child.on("error", (err) => conn.destroy(err));
    child.on("exit", (code) => {
      if (code) conn.destroy(new Error(`relay into netns ${netns} to ${host}:${port} failed (exit ${code}): ${stderr.trim()}`));
    });
    conn.on("close", () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    });
    return conn;
  };
}
