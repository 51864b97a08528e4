// WebSocket clients of exec, attach and port-forward, served by translating to the runtime's SPDY streaming server
// (containerd speaks SPDY/3.1 and the pre-v5 WebSocket channel protocols only), as Kubernetes' stream translator
// and tunneling handler do:
//
// - exec/attach over v5.channel.k8s.io or v4.channel.k8s.io (kubectl 1.30+): binary messages whose first byte is the
//   channel: 0 stdin, 1 stdout, 2 stderr, 3 error (the v4 JSON Status: Success, or NonZeroExitCode with the exit
//   code in details.causes), 4 resize ({"Width","Height"}), and with v5 only 255 close ([255, channel]: the client's
//   stdin reached EOF). Each maps to a SPDY stream of the same streamtype on a remotecommand v4 connection; the
//   error stream's Status goes out on channel 3 when the runtime closes the connection, then a normal close (1000).
// - port-forward over the SPDY/3.1+portforward.k8s.io subprotocol (kubectl 1.31+): the client runs SPDY itself and
//   carries its bytes in binary messages, so the bridge relays message payloads to and from a plain SPDY upgrade
//   (X-Stream-Protocol-Version: portforward.k8s.io) of the runtime's port-forward URL.
import type { Duplex } from "node:stream";
import type { WebSocket } from "ws";
import { StatusError } from "../../machinery/errors.js";
import type { Logger } from "../../util/log.js";
import type { Dialer } from "./dial.js";
import { SpdySession, type SpdyStream } from "./spdy.js";

export const V5_PROTOCOL = "v5.channel.k8s.io";
export const V4_PROTOCOL = "v4.channel.k8s.io";
/** Port-forward's SPDY carried in WebSocket messages. */
export const PORTFORWARD_TUNNEL_PROTOCOL = "SPDY/3.1+portforward.k8s.io";

/** The subprotocol this side translates for a request kind, in the client's order of preference; undefined if none. */
export function translatedProtocol(kind: "exec" | "attach" | "portForward", offered: string[]): string | undefined {
  const ours = kind === "portForward" ? [PORTFORWARD_TUNNEL_PROTOCOL] : [V5_PROTOCOL, V4_PROTOCOL];
  return offered.find((p) => ours.includes(p));
}

const CHANNEL = { stdin: 0, stdout: 1, stderr: 2, error: 3, resize: 4, close: 255 } as const;

/** The upgraded connection to the runtime's streaming server, and any bytes that came after its 101 answer. */
export interface SpdyUpstream {
  socket: Duplex;
  rest: Buffer;
}

/** Opens `target` on the runtime's streaming server and upgrades it to SPDY/3.1 with the given stream protocol. */
export function upgradeToSpdy(dial: Dialer, target: URL, streamProtocol: string, timeoutMs = 30_000): Promise<SpdyUpstream> {
  return new Promise((resolve, reject) => {
    const socket = dial(target.hostname.replace(/^\[|\]$/g, ""), Number(target.port || 80));
    let buf = Buffer.alloc(0);
    let head: { code: number; text: string } | undefined;
    const fail = (err: Error): void => {
      cleanup();
      socket.destroy();
      reject(err);
    };
    const timer = setTimeout(() => fail(new StatusError({ code: 504, reason: "Timeout", message: `the runtime's streaming server at ${target.host} did not answer the upgrade in ${timeoutMs} ms` })), timeoutMs);
    const refused = (): Error => {
      const body = buf.toString("utf8").trim().slice(0, 500);
      return new StatusError({ code: head!.code >= 400 && head!.code < 600 ? head!.code : 502, reason: "", message: `the runtime's streaming server refused the upgrade: ${head!.code} ${head!.text}${body ? `: ${body}` : ""}` });
    };
    const onData = (chunk: Buffer): void => {
      buf = Buffer.concat([buf, chunk]);
      if (head) return; // collecting a refusal's body
      const end = buf.indexOf("\r\n\r\n");
      if (end < 0) {
        if (buf.length > 64 * 1024) fail(new StatusError({ code: 502, reason: "", message: "the runtime's streaming server sent an oversized answer" }));
        return;
      }
      const status = /^HTTP\/1\.[01] (\d{3}) ?(.*)$/.exec(buf.subarray(0, buf.indexOf("\r\n")).toString("latin1"));
      head = { code: Number(status?.[1] ?? 0), text: status?.[2] ?? "" };
      const rest = buf.subarray(end + 4);
      if (head.code === 101) {
        cleanup();
        socket.pause();
        // Until a session takes the connection over (after the client's handshake), errors just end it.
        socket.on("error", () => socket.destroy());
        resolve({ socket, rest: Buffer.from(rest) });
        return;
      }
      buf = Buffer.from(rest);
      // Give the body a moment to arrive for the message, then refuse.
      setTimeout(() => fail(refused()), 200).unref();
    };
    const onEnd = (): void => fail(head ? refused() : new StatusError({ code: 502, reason: "", message: `the runtime's streaming server at ${target.host} closed the connection before answering` }));
    const onError = (err: Error): void => fail(new StatusError({ code: 503, reason: "ServiceUnavailable", message: `cannot reach the runtime's streaming server at ${target.host}: ${err.message}` }));
    function cleanup(): void {
      clearTimeout(timer);
      socket.off("data", onData);
      socket.off("end", onEnd);
      socket.off("error", onError);
    }
    socket.on("data", onData);
    socket.on("end", onEnd);
    socket.on("error", onError);
    const lines = [
      `POST ${target.pathname}${target.search} HTTP/1.1`,
      `Host: ${target.host}`,
      "Connection: Upgrade",
      "Upgrade: SPDY/3.1",
      `X-Stream-Protocol-Version: ${streamProtocol}`,
      "Content-Length: 0",
    ];
    socket.write(lines.join("\r\n") + "\r\n\r\n");
  });
}

/** Stop reading from `source` while the WebSocket's send buffer is above this, resume below a quarter of it. */
const HIGH_WATER = 1 << 20;

function sendWithBackpressure(ws: WebSocket, data: Buffer, pause: () => void, resume: () => void): void {
  ws.send(data, { binary: true }, () => {
    if (ws.bufferedAmount < HIGH_WATER / 4) resume();
  });
  if (ws.bufferedAmount > HIGH_WATER) pause();
}

export interface RemoteCommandOptions {
  protocol: string;
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
  log: Logger;
}

/** Serves an accepted v5/v4 WebSocket exec or attach over a SPDY remotecommand (v4) connection; resolves when done. */
export function bridgeRemoteCommand(ws: WebSocket, upstream: SpdyUpstream, o: RemoteCommandOptions): Promise<void> {
  const session = new SpdySession(upstream.socket, upstream.rest);
  const open = (type: string): SpdyStream => session.openStream({ streamtype: type });
  const error = open("error");
  const stdin = o.stdin ? open("stdin") : undefined;
  const stdout = o.stdout ? open("stdout") : undefined;
  const stderr = o.stderr && !o.tty ? open("stderr") : undefined;
  const resize = o.tty ? open("resize") : undefined;
  upstream.socket.resume();

  const pause = (): void => session.pause();
  const resume = (): void => session.resume();
  const out = (channel: number, s: SpdyStream | undefined): void => {
    s?.on("data", (d: Buffer) => {
      if (ws.readyState === ws.OPEN) sendWithBackpressure(ws, Buffer.concat([Buffer.from([channel]), d]), pause, resume);
    });
  };
  out(CHANNEL.stdout, stdout);
  out(CHANNEL.stderr, stderr);
  const status: Buffer[] = [];
  error.on("data", (d: Buffer) => status.push(d));

  const v5 = o.protocol === V5_PROTOCOL;
  ws.on("message", (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => {
    const msg = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
    if (!isBinary || msg.length === 0) return;
    const payload = msg.subarray(1);
    let target: SpdyStream | undefined;
    switch (msg[0]) {
      case CHANNEL.stdin:
        target = stdin;
        break;
      case CHANNEL.resize:
        target = resize;
        break;
      case CHANNEL.close:
        // [255, channel]: the client will write no more on that channel (v5 only; in v4 255 means nothing).
        if (v5 && payload[0] === CHANNEL.stdin) stdin?.end();
        if (v5 && payload[0] === CHANNEL.resize) resize?.end();
        return;
      default:
        return;
    }
    if (target && payload.length && !target.write(Buffer.from(payload))) {
      ws.pause();
      session.once("drain", () => ws.resume());
    }
  });

  return new Promise((resolve) => {
    let done = false;
    const finish = (why: string): void => {
      if (done) return;
      done = true;
      o.log.debug("websocket stream finished", { protocol: o.protocol, why });
      if (ws.readyState === ws.OPEN) {
        if (status.length) ws.send(Buffer.concat([Buffer.from([CHANNEL.error]), ...status]), { binary: true });
        ws.close(1000);
      }
      session.close();
      resolve();
    };
    // The runtime writes the Status on the error stream and then closes the connection.
    session.on("close", () => finish("runtime closed the connection"));
    ws.on("close", () => {
      if (!done) {
        done = true;
        session.destroy();
        resolve();
      }
    });
    ws.on("error", () => ws.terminate());
  });
}

/** Serves an accepted SPDY/3.1+portforward.k8s.io WebSocket: message payloads to and from the upgraded upstream. */
export function bridgeTunnel(ws: WebSocket, upstream: SpdyUpstream): Promise<void> {
  const { socket } = upstream;
  if (upstream.rest.length) ws.send(upstream.rest, { binary: true });
  socket.on("data", (d: Buffer) => {
    if (ws.readyState === ws.OPEN) sendWithBackpressure(ws, d, () => socket.pause(), () => socket.resume());
  });
  socket.resume();
  ws.on("message", (data: Buffer | ArrayBuffer | Buffer[]) => {
    const msg = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
    if (msg.length && !socket.write(msg)) {
      ws.pause();
      socket.once("drain", () => ws.resume());
    }
  });
  return new Promise((resolve) => {
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      if (ws.readyState === ws.OPEN) ws.close(1000);
      socket.destroy();
      resolve();
    };
    socket.on("error", () => socket.destroy());
    socket.on("close", finish);
    ws.on("error", () => ws.terminate());
    ws.on("close", finish);
  });
}
