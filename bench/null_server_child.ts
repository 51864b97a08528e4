// The "null server floor" for bench/apiserver: a Node.js HTTP server with no storage, no validation and no watch
// cache, that does only what any JSON API server must: read and JSON.parse the request body, and answer a JSON
// object the size of what the k8ts API server answered for the same operation.
//   node --import tsx bench/null_server_child.ts TEMPLATES.json [PROCESSES]
// TEMPLATES.json holds {create, get, patch}: response texts captured from the real API server in the same run.
// POST answers the create template with the posted name (JSON.stringify per request), PATCH merges the patch's
// labels into the patch template (JSON.stringify per request), GET answers the get template text as is (a server
// may keep an object's JSON ready, as k8ts's watch cache does). With PROCESSES > 1 the workers share one port
// through node:cluster (round-robin by the primary). Prints {"url", "pids"} on stdout once all serve.
import cluster from "node:cluster";
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

const [templatesPath, processesArg] = process.argv.slice(2);
if (!templatesPath) throw new Error("usage: null_server_child.ts TEMPLATES.json [PROCESSES]");
const processes = Number(processesArg ?? 1);

type Obj = { metadata: { name?: string; labels?: Record<string, string> } } & Record<string, unknown>;

function serve(): Promise<AddressInfo> {
  const t = JSON.parse(readFileSync(templatesPath!, "utf8")) as { create: string; get: string; patch: string };
  const created = JSON.parse(t.create) as Obj;
  const patched = JSON.parse(t.patch) as Obj;
  const answer = (res: ServerResponse, status: number, text: string): void => {
    res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
    res.end(text);
  };
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const name = req.url!.slice(req.url!.lastIndexOf("/") + 1);
      if (req.method === "GET") return answer(res, 200, req.url === "/healthz" ? "ok" : t.get);
      let body: Obj;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString()) as Obj;
      } catch {
        return answer(res, 400, '{"kind":"Status","code":400,"reason":"BadRequest"}');
      }
      if (req.method === "POST") return answer(res, 201, JSON.stringify({ ...created, metadata: { ...created.metadata, name: body.metadata?.name } }));
      if (req.method === "PATCH") {
        const labels = { ...patched.metadata.labels, ...body.metadata?.labels };
        return answer(res, 200, JSON.stringify({ ...patched, metadata: { ...patched.metadata, name, labels } }));
      }
      answer(res, 405, '{"kind":"Status","code":405,"reason":"MethodNotAllowed"}');
    });
  };
  // Same HTTP server options as the k8ts API server (src/apiserver/server.ts), so keep-alive behaves the same.
  const srv = createServer({ requestTimeout: 0, headersTimeout: 60_000, keepAliveTimeout: 65_000 }, handle);
  return new Promise((resolve) => srv.listen(0, "127.0.0.1", () => resolve(srv.address() as AddressInfo)));
}

if (processes <= 1) {
  const a = await serve();
  process.stdout.write(JSON.stringify({ url: `http://127.0.0.1:${a.port}`, pids: [process.pid] }) + "\n");
  process.on("SIGTERM", () => process.exit(0));
} else if (cluster.isPrimary) {
  cluster.schedulingPolicy = cluster.SCHED_RR;
  let port = 0;
  const pids: number[] = [];
  await Promise.all(
    Array.from({ length: processes }, () => {
      const w = cluster.fork();
      return new Promise<void>((resolve) =>
        w.once("listening", (a: AddressInfo) => {
          port = a.port;
          pids.push(w.process.pid!);
          resolve();
        }),
      );
    }),
  );
  process.stdout.write(JSON.stringify({ url: `http://127.0.0.1:${port}`, pids: [process.pid, ...pids] }) + "\n");
  process.on("SIGTERM", () => {
    const workers = Object.values(cluster.workers ?? {});
    void Promise.all(workers.map((w) => new Promise((r) => (w!.isDead() ? r(0) : (w!.once("exit", r), w!.kill("SIGTERM")))))).then(() => process.exit(0));
  });
} else {
  await serve();
  process.on("SIGTERM", () => process.exit(0));
}
