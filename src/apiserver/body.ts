// Reading and decoding request bodies: size limit, JSON or YAML, and the checks every decoded object passes.
import type { IncomingMessage } from "node:http";
import { parse as yamlParse } from "yaml";
import { errors } from "../machinery/errors.js";
import type { KubeObject } from "../api/object.js";
import { bodyEncoding, type BodyEncoding } from "./negotiation.js";

/** Kubernetes' own limit on request bodies (etcd's value limit plus headroom). */
export const MAX_BODY_BYTES = 3 * 1024 * 1024;

/** The whole request body in one Buffer (a single chunk as it came, more chunks concatenated once). Listens to the
 *  stream's events directly: an async iterator per request cost several times the read itself. A client that goes
 *  away before the body is complete rejects with an error. The listeners stay until the request is gone (they do
 *  nothing once the promise is settled): removing four listeners from every request cost more than leaving them. */
export function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    return Promise.reject(errors.tooLarge(`the request body is too large: ${declared} bytes, limit ${limit}`));
  }
  if (req.readableEnded) return Promise.resolve(Buffer.alloc(0));
  return new Promise<Buffer>((resolve, reject) => {
    let first: Buffer | undefined;
    let chunks: Buffer[] | undefined;
    let size = 0;
    let settled = false;
    const onData = (chunk: Buffer): void => {
      if (settled) return;
      size += chunk.length;
      if (size > limit) {
        settled = true;
        req.off("data", onData);
        req.resume();
        reject(errors.tooLarge(`the request body is too large: more than ${limit} bytes`));
        return;
      }
      if (first === undefined) first = chunk;
      else (chunks ??= [first]).push(chunk);
    };
    req.on("data", onData);
    req.on("end", () => {
      settled = true;
      resolve(chunks ? Buffer.concat(chunks, size) : first ?? Buffer.alloc(0));
    });
    req.on("error", (err: Error) => {
      settled = true;
      reject(err);
    });
    // "close" before "end": the client went away mid-body (after "end" the promise is already resolved).
    req.on("close", () => {
      if (settled) return;
      settled = true;
      reject(new Error("the client closed the connection before the request body was complete"));
    });
  });
}

/** Deeper values are refused: no API object comes close, and recursive object machinery (patches, defaulting,
 *  validation) would exhaust the stack on them. */
export const MAX_BODY_DEPTH = 512;

/** Checks nesting depth iteratively (the check itself must not recurse). */
function checkDepth(value: unknown): void {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (typeof v !== "object" || v === null) continue;
    if (d > MAX_BODY_DEPTH) throw errors.badRequest(`the request body nests deeper than ${MAX_BODY_DEPTH} levels`);
    for (const child of Array.isArray(v) ? v : Object.values(v)) if (typeof child === "object" && child !== null) stack.push([child, d + 1]);
  }
}

/** How many "{" and "[" bytes the buffer holds, counting no further than max + 1. (Neither byte occurs inside a
 *  multi-byte UTF-8 sequence.) */
function openingBrackets(buf: Buffer, max: number): number {
  let n = 0;
  for (const ch of OPENERS) {
    for (let i = buf.indexOf(ch); i >= 0; i = buf.indexOf(ch, i + 1)) if (++n > max) return n;
  }
  return n;
}
const OPENERS = [0x7b, 0x5b];

/** Decodes a body into a JSON value according to its Content-Type. JSON is valid YAML, so apply patches (YAML by
 *  media type, JSON as kubectl sends them) go through the YAML parser only when JSON parsing fails. */
export function decodeBody(buf: Buffer, contentType: string | undefined): { value: unknown; encoding: BodyEncoding } {
  const encoding = bodyEncoding(contentType);
  if (encoding === "protobuf" || encoding === "unknown") throw errors.unsupportedMediaType(contentType ?? "");
  const text = buf.toString("utf8");
  if (text.trim() === "") throw errors.badRequest("the request body is empty: an object was expected");
  const yamlish = encoding === "yaml" || encoding === "apply-patch";
  let value: unknown;
  let parsed = false;
  try {
    value = JSON.parse(text);
    parsed = true;
  } catch (err) {
    if (!yamlish) throw errors.badRequest(`the request body is not valid JSON: ${(err as Error).message}`);
  }
  if (!parsed) {
    try {
      value = yamlParse(text, { strict: true, uniqueKeys: true });
    } catch (err) {
      throw errors.badRequest(`the request body is not valid YAML: ${(err as Error).message.split("\n")[0]}`);
    }
  }
  // JSON nests no deeper than it has opening brackets: most bodies have far fewer than the limit, counted natively,
  // and need no walk over the decoded value. Nesting deeper than the limit takes more opening brackets and as many
  // closing ones, so a body of at most twice the limit in bytes (a binding, an event) is not even counted.
  if (!parsed || (buf.length > 2 * MAX_BODY_DEPTH && openingBrackets(buf, MAX_BODY_DEPTH) > MAX_BODY_DEPTH)) checkDepth(value);
  return { value, encoding };
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Checks a decoded object against the endpoint it was sent to and fills apiVersion/kind when absent. */
export function checkObject(value: unknown, expected: { apiVersion: string; kind: string }): KubeObject {
  if (!isPlainObject(value)) throw errors.badRequest(`the request body must be a JSON or YAML object, got ${Array.isArray(value) ? "an array" : typeof value}`);
  const obj = value as KubeObject;
  if (obj.apiVersion !== undefined && obj.apiVersion !== expected.apiVersion) {
    throw errors.badRequest(`the API version in the data (${String(obj.apiVersion)}) does not match the expected API version (${expected.apiVersion})`);
  }
  if (obj.kind !== undefined && obj.kind !== expected.kind) {
    throw errors.badRequest(`the kind in the data (${String(obj.kind)}) does not match the expected kind (${expected.kind}) of ${expected.apiVersion}`);
  }
  if (obj.metadata !== undefined && !isPlainObject(obj.metadata)) throw errors.badRequest("metadata must be an object");
  obj.apiVersion = expected.apiVersion;
  obj.kind = expected.kind;
  obj.metadata ??= {};
  return obj;
}
