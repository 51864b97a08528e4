import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import net from "node:net";
import { tmpdir } from "node:os";
import type { Duplex } from "node:stream";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { CONTAINER_NAME_LABEL, POD_NAME_LABEL, POD_NAMESPACE_LABEL, POD_UID_LABEL } from "../pod_config.js";
import { SimulatedRuntime } from "../runtime/simulated/simulated_runtime.js";
import type { PodSandboxConfig } from "../runtime/types.js";
import { inflateRawSync, constants as zlibConstants } from "node:zlib";
import { WebSocket } from "ws";
import { parseFrames } from "./spdy.js";
import { parseStreamPath, StreamingHandler } from "./streaming_handler.js";
import type { StreamingRuntime } from "./stream_runtime.js";

const listen = (s: http.Server): Promise<number> => new Promise((r) => s.listen(0, "127.0.0.1", () => r((s.address() as AddressInfo).port)));

/** Sends a raw request and collects what comes back until the server closes. */
function raw(port: number, request: string, thenSend?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, "127.0.0.1", () => sock.write(request));
    let got = "";
    sock.on("data", (d: Buffer) => {
      got += d.toString();
      if (thenSend && got.includes("101 Switching")) {
        sock.write(thenSend);
        thenSend = undefined;
      }
      if (/echo:\w/.test(got)) {
        sock.destroy();
        resolve(got);
      }
    });
    sock.on("end", () => resolve(got));
    sock.on("error", reject);
  });
}

/** Headers of a SYN_STREAM payload: the block is raw deflate after a 2-byte zlib header on the first one. */
function synHeaders(payload: Buffer, first: boolean): Record<string, string> {
  const block = inflateRawSync(payload.subarray(first ? 12 : 10), { finishFlush: zlibConstants.Z_SYNC_FLUSH });
  const out: Record<string, string> = {};
  let off = 4;
  for (let i = 0; i < block.readUInt32BE(0); i++) {
    const strings: string[] = [];
    for (let j = 0; j < 2; j++) {
      const len = block.readUInt32BE(off);
      strings.push(block.subarray(off + 4, off + 4 + len).toString());
      off += 4 + len;
    }
    out[strings[0]!] = strings[1]!;
  }
  return out;
}

function frame(control: boolean, typeOrId: number, flags: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(8);
  if (control) h.writeUInt32BE(((0x8003 << 16) | typeOrId) >>> 0, 0);
  else h.writeUInt32BE(typeOrId, 0);
  h.writeUInt32BE(payload.length, 4);
  h[4] = flags;
  return Buffer.concat([h, payload]);
}

/** A remotecommand server over SPDY: stdin comes back upper-cased on stdout; stdin's FIN ends it with a Status. */
function fakeSpdyExec(sock: Duplex): void {
  const ids: Record<string, number> = {};
  let pending = Buffer.alloc(0);
  let first = true;
  sock.on("data", (d: Buffer) => {
    const { frames, rest } = parseFrames(Buffer.concat([pending, d]));
    pending = Buffer.from(rest);
    for (const f of frames) {
      if (f.control && f.type === 1) {
        const id = f.payload.readUInt32BE(0);
        ids[synHeaders(f.payload, first).streamtype!] = id;
        first = false;
        const reply = Buffer.alloc(4);
        reply.writeUInt32BE(id, 0);
        sock.write(frame(true, 2, 0, reply));
      } else if (!f.control && f.streamId === ids.stdin) {
        if (f.payload.length) sock.write(frame(false, ids.stdout!, 0, Buffer.from(f.payload.toString().toUpperCase())));
        if (f.flags & 1 || f.payload.toString().includes("bye")) {
          const status = { metadata: {}, status: "Failure", reason: "NonZeroExitCode", details: { causes: [{ reason: "ExitCode", message: "3" }] } };
          sock.write(frame(false, ids.error!, 1, Buffer.from(JSON.stringify(status))));
          sock.end();
        }
      }
    }
  });
}

describe("the agent's streaming endpoints", () => {
  let dir: string;
  let runtime: SimulatedRuntime;
  let upstream: http.Server;
  let server: http.Server;
  let port = 0;
  let handler: StreamingHandler;
  const seen: string[] = [];
  const sockets: Duplex[] = [];
  /** Log files of particular container ids; every other container's is 0.log. */
  const logs = new Map<string, string>();

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "k8ts-streaming-"));
    await writeFile(join(dir, "0.log"), "2026-11-26T10:00:00Z stdout F hello\n2026-11-26T10:00:01Z stderr F world\n");
    // The runtime's streaming server: answers the upgrade, then echoes what it receives.
    upstream = http.createServer((_req, res) => res.end());
    upstream.on("upgrade", (req, sock) => {
      sockets.push(sock);
      seen.push(`${req.method} ${req.url} ${req.headers["x-stream-protocol-version"]}`);
      sock.write("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n\r\n");
      if (req.url === "/exec/token-upper") fakeSpdyExec(sock);
      else sock.on("data", (d: Buffer) => sock.write(`echo:${d.toString()}`));
    });
    const upPort = await listen(upstream);
    const streaming: StreamingRuntime = {
      exec: async (r) => new URL(`http://127.0.0.1:${upPort}/exec/token-${r.cmd.join("_")}`),
      attach: async () => new URL(`http://127.0.0.1:${upPort}/attach/token`),
      portForward: async (sb) => new URL(`http://127.0.0.1:${upPort}/portforward/${sb.length ? "sb" : ""}`),
      logPath: async (id) => logs.get(id) ?? join(dir, "0.log"),
    };
    runtime = new SimulatedRuntime();
    const labels = { [POD_NAME_LABEL]: "p", [POD_NAMESPACE_LABEL]: "default", [POD_UID_LABEL]: "uid-1" };
    const sbConfig: PodSandboxConfig = { metadata: { name: "p", namespace: "default", uid: "uid-1", attempt: 0 }, labels, annotations: {} };
    const sb = await runtime.runPodSandbox(sbConfig);
    await runtime.pullImage("busybox");
    const id = await runtime.createContainer(sb, { metadata: { name: "c", attempt: 0 }, image: "busybox", labels: { ...labels, [CONTAINER_NAME_LABEL]: "c" }, annotations: {} }, sbConfig);
    await runtime.startContainer(id);
    await runtime.createContainer(sb, { metadata: { name: "idle", attempt: 0 }, image: "busybox", labels: { ...labels, [CONTAINER_NAME_LABEL]: "idle" }, annotations: {} }, sbConfig);
    // A container that ran once and whose restart is created but not started yet.
    const again = (attempt: number) => runtime.createContainer(sb, { metadata: { name: "again", attempt }, image: "busybox", labels: { ...labels, [CONTAINER_NAME_LABEL]: "again" }, annotations: {} }, sbConfig);
    const first = await again(0);
    await runtime.startContainer(first);
    await runtime.stopContainer(first, 0);
    const second = await again(1);
    await writeFile(join(dir, "again-0.log"), "2026-11-26T10:00:02Z stdout F first run\n");
    await writeFile(join(dir, "again-1.log"), "");
    logs.set(first, join(dir, "again-0.log"));
    logs.set(second, join(dir, "again-1.log"));
    handler = new StreamingHandler({ runtime, streaming });
    server = http.createServer((req, res) => handler.serveHttp(req, res));
    server.on("upgrade", (req, sock, head) => {
      sockets.push(sock);
      handler.serveUpgrade(req, sock, head);
    });
    port = await listen(server);
  });

  after(async () => {
    for (const s of sockets) s.destroy();
    server.closeAllConnections();
    upstream.closeAllConnections();
    await new Promise((r) => server.close(r));
    await new Promise((r) => upstream.close(r));
    await rm(dir, { recursive: true, force: true });
  });

  it("parses the kubelet's streaming paths", () => {
    assert.deepEqual(parseStreamPath("/containerLogs/ns/p/c"), { kind: "containerLogs", namespace: "ns", pod: "p", container: "c" });
    assert.deepEqual(parseStreamPath("/exec/ns/p/uid/c"), { kind: "exec", namespace: "ns", pod: "p", uid: "uid", container: "c" });
    assert.deepEqual(parseStreamPath("/portForward/ns/p"), { kind: "portForward", namespace: "ns", pod: "p", uid: undefined });
    assert.equal(parseStreamPath("/exec/ns/p"), undefined);
    assert.equal(parseStreamPath("/pods"), undefined);
  });

  it("serves container logs", async () => {
    const res = await fetch(`http://127.0.0.1:${port}/containerLogs/default/p/c?tailLines=1&timestamps=true`);
    assert.equal(res.status, 200);
    assert.equal(await res.text(), "2026-11-26T10:00:01.000000000Z world\n");
  });

  it("answers a Status for a container without a previous instance or not started", async () => {
    const prev = await fetch(`http://127.0.0.1:${port}/containerLogs/default/p/c?previous=true`);
    assert.equal(prev.status, 400);
    assert.match(((await prev.json()) as { message: string }).message, /previous terminated container "c" in pod "p" not found/);
    const idle = await fetch(`http://127.0.0.1:${port}/containerLogs/default/p/idle`);
    assert.match(((await idle.json()) as { message: string }).message, /waiting to start/);
    const gone = await fetch(`http://127.0.0.1:${port}/containerLogs/default/nope/c`);
    assert.equal(gone.status, 404);
  });

  it("serves the last run's log while a restart is not started yet, as the kubelet does", async () => {
    const res = await fetch(`http://127.0.0.1:${port}/containerLogs/default/p/again?follow=true`);
    assert.equal(res.status, 200);
    assert.equal(await res.text(), "first run\n", "ends with the log: that instance is not running");
    const prev = await fetch(`http://127.0.0.1:${port}/containerLogs/default/p/again?previous=true`);
    assert.equal(await prev.text(), "first run\n");
  });

  it("relays an exec upgrade to the runtime's URL, headers and bytes unchanged", async () => {
    const got = await raw(
      port,
      "POST /exec/default/p/c?command=sh&command=-c&stdout=true HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: v4.channel.k8s.io\r\n\r\n",
      "ping",
    );
    assert.match(got, /^HTTP\/1.1 101 Switching Protocols/);
    assert.match(got, /echo:ping/);
    assert.ok(seen.includes("POST /exec/token-sh_-c v4.channel.k8s.io"), seen.join("\n"));
  });

  it("refuses what the runtime cannot serve so kubectl falls back to SPDY", async () => {
    const ws = await raw(port, "GET /exec/default/p/c?command=sh&stdout=true HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Protocol: v9.channel.k8s.io\r\n\r\n");
    assert.match(ws, /^HTTP\/1.1 400[^]*not served/);
    const notRunning = await raw(port, "POST /exec/default/p/idle?command=sh&stdout=true HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n\r\n");
    assert.match(notRunning, /^HTTP\/1.1 400[^]*is not running/);
    const plain = await fetch(`http://127.0.0.1:${port}/exec/default/p/c?command=sh`);
    assert.equal(plain.status, 400);
  });

  it("translates v5.channel.k8s.io to the runtime's SPDY: channels, stdin close, exit status, normal close", async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/exec/default/p/c?command=upper&stdin=true&stdout=true&stderr=true`, ["v5.channel.k8s.io"]);
    const got: Buffer[] = [];
    const closed = new Promise<number>((resolve) => ws.on("close", (code) => resolve(code)));
    ws.on("message", (d: Buffer) => {
      got.push(d);
      if (d[0] === 1) ws.send(Buffer.from([255, 0])); // stdin done once the answer came back
    });
    await new Promise((resolve, reject) => ws.on("open", resolve).on("error", reject));
    assert.equal(ws.protocol, "v5.channel.k8s.io");
    ws.send(Buffer.concat([Buffer.from([0]), Buffer.from("hello")]));
    assert.equal(await closed, 1000);
    assert.deepEqual(got.map((m) => [m[0], m.subarray(1).toString()]).filter(([, t]) => t !== "")[0], [1, "HELLO"]);
    const status = got.find((m) => m[0] === 3);
    assert.ok(status, "no status on channel 3");
    assert.equal(JSON.parse(status.subarray(1).toString()).details.causes[0].message, "3");
    assert.ok(seen.includes("POST /exec/token-upper v4.channel.k8s.io"), seen.join("\n"));
    const metrics = handler.metrics.collectors().find((c) => c.name === "kubelet_streaming_sessions_total")!;
    assert.ok([...metrics.collect()].flat().some((x) => x.labels.protocol === "v5.channel.k8s.io" && x.value >= 1));
  });

  it("translates v4.channel.k8s.io the same way, without the close signal", async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/exec/default/p/c?command=upper&stdin=true&stdout=true`, ["v4.channel.k8s.io"]);
    const got: Buffer[] = [];
    const closed = new Promise<number>((resolve) => ws.on("close", (code) => resolve(code)));
    ws.on("message", (d: Buffer) => got.push(d));
    await new Promise((resolve, reject) => ws.on("open", resolve).on("error", reject));
    assert.equal(ws.protocol, "v4.channel.k8s.io");
    ws.send(Buffer.from([255, 0])); // no meaning in v4: stdin stays open
    ws.send(Buffer.concat([Buffer.from([0]), Buffer.from("bye")]));
    assert.equal(await closed, 1000);
    assert.deepEqual(got.filter((m) => m.length > 1).map((m) => m[0]), [1, 3]);
    assert.equal(got.find((m) => m[0] === 1)!.subarray(1).toString(), "BYE");
  });

  it("relays a port-forward upgrade for the pod's ready sandbox", async () => {
    const got = await raw(port, "POST /portForward/default/p HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: portforward.k8s.io\r\n\r\n", "x");
    assert.match(got, /101 Switching Protocols[^]*echo:x/);
    assert.ok(seen.includes("POST /portforward/sb portforward.k8s.io"), seen.join("\n"));
  });
});
