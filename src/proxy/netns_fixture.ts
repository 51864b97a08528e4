// A throwaway node for the proxy's real tests, built only from network namespaces this fixture creates:
//   client (10.100.0.2) --veth-- node (10.100.0.1; bridge br0 10.244.1.1/24) --veths-- pod1 10.244.1.2, pod2 10.244.1.3
// Each pod runs busybox httpd answering its own name. dispose() kills the servers (by PID) and deletes the
// namespaces (which takes their veths and bridge along) and the temp dir, whatever state setup reached.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { netnsPath } from "./command_runner.js";

const run = promisify(execFile);

export const HTTP_PORT = 8080;
export const UDP_PORT = 5300;

// A UDP server answering every datagram with the pod's name, and a client asking once from a fixed source port
// (so successive asks share one conntrack entry, as a long-lived UDP client's datagrams do).
const UDP_SERVER = `const s = require("node:dgram").createSocket("udp4"); s.on("message", (m, r) => s.send(process.argv[1], r.port, r.address)); s.bind(Number(process.argv[2]));`;
const UDP_CLIENT = `const s = require("node:dgram").createSocket("udp4"); const t = setTimeout(() => process.exit(1), 3000);
s.on("message", (m) => { process.stdout.write(String(m)); clearTimeout(t); s.close(); });
s.bind(Number(process.argv[3]), () => s.send("who", Number(process.argv[2]), process.argv[1]));`;

export interface Pod {
  name: string;
  netns: string;
  ip: string;
}

export class NetnsNode {
  readonly node: string;
  readonly client: string;
  readonly pods: Pod[];
  readonly nodeIP = "10.100.0.1";
  private readonly created: string[] = [];
  private readonly servers: ChildProcess[] = [];
  private readonly dir: string;

  constructor(prefix: string) {
    this.node = `${prefix}-node`;
    this.client = `${prefix}-cl`;
    this.pods = [1, 2].map((i) => ({ name: `pod${i}`, netns: `${prefix}-p${i}`, ip: `10.244.1.${i + 1}` }));
    this.dir = mkdtempSync(join(tmpdir(), "k8ts-proxy-test-"));
  }

  private async ip(...args: string[]): Promise<void> {
    await run("ip", args);
  }

  private async sysctl(ns: string, key: string, value: string): Promise<void> {
    await run("nsenter", [`--net=${netnsPath(ns)}`, "--", "sysctl", "-qw", `${key}=${value}`]);
  }

  async setup(): Promise<void> {
    for (const ns of [this.node, this.client, ...this.pods.map((p) => p.netns)]) {
      await this.ip("netns", "add", ns);
      this.created.push(ns);
      await this.ip("-n", ns, "link", "set", "lo", "up");
    }
    const n = this.node;
    await this.ip("-n", n, "link", "add", "br0", "type", "bridge");
    await this.ip("-n", n, "addr", "add", "10.244.1.1/24", "dev", "br0");
    await this.ip("-n", n, "link", "set", "br0", "up");
    await this.ip("-n", n, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0", "netns", this.client);
    await this.ip("-n", n, "addr", "add", `${this.nodeIP}/24`, "dev", "eth0");
    await this.ip("-n", n, "link", "set", "eth0", "up");
    // Reaching a cluster IP from the node itself needs a route for the service range (runtime notes).
    await this.ip("-n", n, "route", "add", "10.96.0.0/12", "dev", "eth0");
    await this.ip("-n", this.client, "addr", "add", "10.100.0.2/24", "dev", "eth0");
    await this.ip("-n", this.client, "link", "set", "eth0", "up");
    await this.sysctl(n, "net.ipv4.ip_forward", "1");
    await this.sysctl(n, "net.bridge.bridge-nf-call-iptables", "1");
    for (const [i, pod] of this.pods.entries()) {
      const host = `veth${i + 1}`;
      await this.ip("-n", n, "link", "add", host, "type", "veth", "peer", "name", "eth0", "netns", pod.netns);
      await this.ip("-n", n, "link", "set", host, "master", "br0", "up");
      // A pod reaching itself through its service leaves and re-enters by the same bridge port.
      await this.ip("-n", n, "link", "set", host, "type", "bridge_slave", "hairpin", "on");
      await this.ip("-n", pod.netns, "addr", "add", `${pod.ip}/24`, "dev", "eth0");
      await this.ip("-n", pod.netns, "link", "set", "eth0", "up");
      await this.ip("-n", pod.netns, "route", "add", "default", "via", "10.244.1.1");
      const root = join(this.dir, pod.name);
      mkdirSync(root);
      writeFileSync(join(root, "index.html"), `${pod.name}\n`);
      const child = spawn("nsenter", [`--net=${netnsPath(pod.netns)}`, "--", "busybox", "httpd", "-f", "-p", String(HTTP_PORT), "-h", root], { stdio: "ignore" });
      this.servers.push(child);
      const udp = spawn("nsenter", [`--net=${netnsPath(pod.netns)}`, "--", process.execPath, "-e", UDP_SERVER, pod.name, String(UDP_PORT)], { stdio: "ignore" });
      this.servers.push(udp);
    }
    for (const pod of this.pods) await this.waitServing(pod);
    for (const pod of this.pods) {
      for (let i = 0; (await this.askUdp(this.node, pod.ip, UDP_PORT, 40999)) !== pod.name; i++) {
        if (i >= 100) throw new Error(`UDP server of ${pod.name} never answered`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  private async waitServing(pod: Pod): Promise<void> {
    for (let i = 0; ; i++) {
      if ((await this.get(pod.netns, `http://${pod.ip}:${HTTP_PORT}/`)) === pod.name) return;
      if (i >= 100) throw new Error(`httpd of ${pod.name} never answered`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** The body fetched from inside a namespace (trimmed), or "" when the request failed. */
  async get(netns: string, url: string): Promise<string> {
    try {
      // busybox-static's `wget -T` segfaults on this machine; an outer timeout bounds the request instead.
      const { stdout } = await run("nsenter", [`--net=${netnsPath(netns)}`, "--", "timeout", "3", "busybox", "wget", "-qO-", url]);
      return stdout.trim();
    } catch {
      return "";
    }
  }

  /** The answer to one datagram sent from srcPort, or "" when none came within 3 s. */
  async askUdp(netns: string, ip: string, port: number, srcPort: number): Promise<string> {
    try {
      const { stdout } = await run("nsenter", [`--net=${netnsPath(netns)}`, "--", process.execPath, "-e", UDP_CLIENT, ip, String(port), String(srcPort)]);
      return stdout.trim();
    } catch {
      return "";
    }
  }

  /** wget's complaint when a request fails (e.g. "Connection refused"), "" when it succeeds. */
  async failure(netns: string, url: string): Promise<string> {
    try {
      await run("nsenter", [`--net=${netnsPath(netns)}`, "--", "timeout", "3", "busybox", "wget", "-qO-", url]);
      return "";
    } catch (err) {
      return String((err as { stderr?: string }).stderr ?? err).trim() || "timed out";
    }
  }

  /** Answers to n sequential requests, counted by body ("" counts failures). */
  async tally(netns: string, url: string, n: number): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (let i = 0; i < n; i++) {
      const body = await this.get(netns, url);
      out.set(body, (out.get(body) ?? 0) + 1);
    }
    return out;
  }

  async dispose(): Promise<void> {
    for (const s of this.servers) {
      if (s.exitCode !== null || s.signalCode !== null || s.pid === undefined) continue;
      const exited = new Promise((r) => s.once("exit", r));
      process.kill(s.pid, "SIGKILL");
      await exited;
    }
    for (const ns of this.created.reverse()) await run("ip", ["netns", "del", ns]).catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
