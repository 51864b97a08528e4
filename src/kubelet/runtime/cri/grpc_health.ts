// The gRPC health check (grpc.health.v1.Health/Check) the kubelet's grpc probe makes, written against node:http2
// with the two tiny protobuf messages encoded by hand: HealthCheckRequest { string service = 1; } and
// HealthCheckResponse { ServingStatus status = 1; }. Cleartext HTTP/2 (h2c, prior knowledge), as the kubelet dials.
// SERVING is success; any other status, a gRPC error status or a failed connection is a failure.
import http2 from "node:http2";
import type { Duplex } from "node:stream";

export type ServingStatus = "UNKNOWN" | "SERVING" | "NOT_SERVING" | "SERVICE_UNKNOWN";
const STATUSES: ServingStatus[] = ["UNKNOWN", "SERVING", "NOT_SERVING", "SERVICE_UNKNOWN"];

/** gRPC frames a message as: compressed flag (1 byte), length (4 bytes, big endian), the message. */
const FRAME_HEADER = 5;
const WIRE_VARINT = 0;
const WIRE_I64 = 1;
const WIRE_LEN = 2;
const WIRE_I32 = 5;

function varint(n: number): Buffer {
  const out: number[] = [];
  let v = n >>> 0;
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  out.push(v);
  return Buffer.from(out);
}

function readVarint(buf: Buffer, at: number): { value: number; next: number } {
  let value = 0;
  let shift = 0;
  let i = at;
  for (;;) {
    if (i >= buf.length) throw new Error("truncated varint in health check response");
    const b = buf[i++]!;
    // Values beyond 32 bits only occur in fields skipped here; keep the low bits.
    if (shift < 32) value |= (b & 0x7f) << shift;
    shift += 7;
    if ((b & 0x80) === 0) return { value: value >>> 0, next: i };
  }
}

/** The framed HealthCheckRequest for a service name ("" asks about the server as a whole). */
export function encodeHealthCheckRequest(service: string): Buffer {
  const name = Buffer.from(service, "utf8");
  const msg = name.length > 0 ? Buffer.concat([Buffer.from([(1 << 3) | WIRE_LEN]), varint(name.length), name]) : Buffer.alloc(0);
  const header = Buffer.alloc(FRAME_HEADER);
  header.writeUInt32BE(msg.length, 1);
  return Buffer.concat([header, msg]);
}

/** Reads the status out of a framed HealthCheckResponse (a missing field is UNKNOWN, protobuf's zero value). */
export function decodeHealthCheckResponse(framed: Buffer): ServingStatus {
  if (framed.length < FRAME_HEADER) throw new Error("empty health check response");
  if (framed[0] !== 0) throw new Error("compressed health check response");
  const len = framed.readUInt32BE(1);
  const msg = framed.subarray(FRAME_HEADER, FRAME_HEADER + len);
  if (msg.length < len) throw new Error("truncated health check response");
  let status = 0;
  let i = 0;
  while (i < msg.length) {
    const tag = readVarint(msg, i);
    i = tag.next;
    const field = tag.value >>> 3;
    const wire = tag.value & 7;
    if (wire === WIRE_VARINT) {
      const v = readVarint(msg, i);
      i = v.next;
      if (field === 1) status = v.value;
    } else if (wire === WIRE_LEN) {
      const l = readVarint(msg, i);
      i = l.next + l.value;
    } else if (wire === WIRE_I64) i += 8;
    else if (wire === WIRE_I32) i += 4;
    else throw new Error(`unexpected wire type ${wire} in health check response`);
  }
  return STATUSES[status] ?? "UNKNOWN";
}

export interface GrpcHealthOptions {
  host: string;
  port: number;
  service?: string;
  timeoutMs: number;
  /** Makes the connection (e.g. a relay into the pod network namespace); a TCP connection by default. */
  connect?: () => Duplex;
}

export interface GrpcHealthResult {
  ok: boolean;
  /** The kubelet's wording of the outcome. */
  message: string;
}

/** One Health/Check call; never rejects. */
export function grpcHealthCheck(o: GrpcHealthOptions): Promise<GrpcHealthResult> {
  const authority = `http://${o.host.includes(":") ? `[${o.host}]` : o.host}:${o.port}`;
  return new Promise((resolve) => {
    let settled = false;
    const session = http2.connect(authority, o.connect ? { createConnection: () => o.connect!() } : {});
    const finish = (r: GrpcHealthResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      session.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => finish({ ok: false, message: `timeout: health rpc did not complete within ${o.timeoutMs}ms` }), o.timeoutMs);
    session.on("error", (err) => finish({ ok: false, message: `failed to connect service "${o.host}:${o.port}": ${err.message}` }));
    const req = session.request({
      ":method": "POST",
      ":path": "/grpc.health.v1.Health/Check",
      "content-type": "application/grpc",
      te: "trailers",
      "user-agent": "kube-probe/1.31",
    });
    const chunks: Buffer[] = [];
    let grpcStatus: string | undefined;
    let grpcMessage = "";
    const noteStatus = (h: http2.IncomingHttpHeaders): void => {
      if (h["grpc-status"] !== undefined) grpcStatus = String(h["grpc-status"]);
      if (h["grpc-message"] !== undefined) grpcMessage = decodeURIComponent(String(h["grpc-message"]));
    };
    req.on("response", (h) => {
      if (h[":status"] !== 200) return finish({ ok: false, message: `health rpc answered HTTP ${h[":status"]}` });
      noteStatus(h);
    });
    req.on("trailers", noteStatus);
    req.on("data", (d: Buffer) => chunks.push(d));
    req.on("error", (err) => finish({ ok: false, message: `health rpc failed: ${err.message}` }));
    req.on("end", () => {
      if (grpcStatus !== "0") return finish({ ok: false, message: `health rpc failed: grpc status ${grpcStatus ?? "missing"} ${grpcMessage}`.trim() });
      try {
        const status = decodeHealthCheckResponse(Buffer.concat(chunks));
        finish(status === "SERVING" ? { ok: true, message: "" } : { ok: false, message: `service unhealthy (responded with "${status}")` });
      } catch (err) {
        finish({ ok: false, message: `health rpc failed: ${(err as Error).message}` });
      }
    });
    req.end(encodeHealthCheckRequest(o.service ?? ""));
  });
}
