// Starts an API server over a fake registry on a free port and sends raw HTTP requests to it.
import http from "node:http";
import { createApiServer, type ApiServer, type ApiServerOptions } from "../server.js";
import { FakeRegistry } from "./fake_registry.js";

export interface Harness {
  url: string;
  server: ApiServer;
  registry: FakeRegistry;
  close(): Promise<void>;
}

export async function startHarness(opts: Partial<ApiServerOptions> = {}): Promise<Harness> {
  const registry = (opts.registry as FakeRegistry | undefined) ?? new FakeRegistry();
  const server = createApiServer({ ...opts, registry });
  const { url } = await server.listen({ port: 0 });
  await server.start();
  return { url, server, registry, close: () => server.close() };
}

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  /** Parsed JSON body; loosely typed so tests can reach into nested fields. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: () => any;
}

export function request(url: string, method: string, path: string, opts: { body?: unknown; headers?: Record<string, string> } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const body = opts.body === undefined ? undefined : typeof opts.body === "string" ? opts.body : JSON.stringify(opts.body);
    const headers: Record<string, string> = { ...(body !== undefined && !opts.headers?.["content-type"] ? { "content-type": "application/json" } : {}), ...opts.headers };
    if (body !== undefined) headers["content-length"] = String(Buffer.byteLength(body));
    const req = http.request(url + path, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) });
      });
    });
    req.on("error", reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}
