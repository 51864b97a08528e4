// Writing answers: objects in the negotiated format, Status objects for every error, Warning headers.
import type { ServerResponse } from "node:http";
import { errors, isStatusError, type Status, type StatusError } from "../machinery/errors.js";
import { encode, type Format } from "./negotiation.js";

export interface WriteOptions {
  format?: Format;
  pretty?: boolean;
  warnings?: string[];
  /** Overrides the negotiated Content-Type (aggregated discovery answers with its own media type). */
  contentType?: string;
}

/** Warning header values as Kubernetes sends them: `299 - "text"` (quotes and backslashes escaped). */
export function warningHeader(text: string): string {
  return `299 - ${JSON.stringify(text.replace(/[\r\n]+/g, " "))}`;
}

export function writeObject(res: ServerResponse, code: number, value: unknown, opts: WriteOptions = {}): void {
  if (res.headersSent || res.destroyed) return;
  const enc = encode(value, opts.format ?? "json", { pretty: opts.pretty });
  if (opts.warnings?.length) res.setHeader("Warning", opts.warnings.map(warningHeader));
  // Encoded once: a large list would otherwise be converted to UTF-8 twice (length, then write).
  const body = Buffer.from(enc.body);
  res.writeHead(code, { "Content-Type": opts.contentType ?? enc.contentType, "Content-Length": body.length, "Cache-Control": "no-cache, private" });
  res.end(body);
}

/** Any thrown value as a Status: StatusErrors keep their code; anything else is a 500 that names the failure. */
export function toStatusError(err: unknown): StatusError {
  if (isStatusError(err)) return err;
  return errors.internal(err instanceof Error ? err.message : String(err));
}

export function writeError(res: ServerResponse, err: unknown, opts: WriteOptions = {}): Status {
  const status = toStatusError(err).status;
  if (status.code === 429 || status.code === 503) {
    const retry = status.details?.retryAfterSeconds;
    if (retry !== undefined && !res.headersSent) res.setHeader("Retry-After", String(retry));
  }
  // Errors are JSON unless YAML was asked for; never a Table.
  writeObject(res, status.code, status, { format: opts.format, pretty: opts.pretty, warnings: opts.warnings });
  return status;
}

export function writeText(res: ServerResponse, code: number, text: string): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(code, { "Content-Type": "text/plain; charset=utf-8", "Content-Length": Buffer.byteLength(text), "Cache-Control": "no-cache, private" });
  res.end(text);
}

export function successStatus(details: Status["details"]): Status {
  return { kind: "Status", apiVersion: "v1", metadata: {}, status: "Success", details, code: 200 };
}
