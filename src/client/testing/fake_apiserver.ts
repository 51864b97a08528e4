// A small, faithful fake of the Kubernetes API wire protocol for tests of clients and controllers: JSON REST paths
// (/api/v1/..., /apis/G/V/...), list with labelSelector/fieldSelector/limit/continue, watch streams of
// newline-delimited events from a resourceVersion (410 Expired as an ERROR event when it is compacted), merge and
// JSON patches, DELETE with DeleteOptions, deletecollection, finalizers and namespace lifecycle (see FakeStore).
// Test controls: compact, expireWatches, closeWatches, sendBookmarks, injectError, request log.
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { KubeObject, StoredObject } from "../../api/object.js";
import { StatusError, errors, isStatusError } from "../../machinery/errors.js";
import type { DeleteOptions } from "../types.js";
import { resources } from "../resources.js";
import { FakeStore, type HistoryEvent, type KindedRef } from "./fake_store.js";
import { jsonPatch, mergePatch } from "./patch.js";
import { fieldMatcher, labelMatcher, type Matcher } from "./selectors.js";

export interface FakeApiServerOptions {
  resources?: KindedRef[];
  /** When set, requests must carry "Authorization: Bearer <token>". */
  token?: string;
}

export interface InjectedError {
  method?: string;
  /** Matches when the request path (without query) contains this. */
  path?: string;
  /** How many matching requests fail (default 1). */
  times?: number;
  /** The answer: this error, or (hang) none at all until the server closes. */
  error?: StatusError;
  hang?: boolean;
}

interface Route {
  ref: KindedRef;
  ns: string;
  name?: string;
  subresource?: string;
}

interface Watcher {
  route: Route;
  match: Matcher;
  res: http.ServerResponse;
  bookmarks: boolean;
}

export class FakeApiServer {
  readonly store: FakeStore;
  readonly requests: Array<{ method: string; path: string; query: string }> = [];
  url = "";
  private readonly server: http.Server;
  private readonly watchers = new Set<Watcher>();
  private readonly injected: InjectedError[] = [];
  /** Unary requests received and not yet answered (watches and hung requests not counted). */
  private answering = 0;

  constructor(private readonly opts: FakeApiServerOptions = {}) {
    this.store = new FakeStore(opts.resources ?? Object.values(resources));
    this.store.subscribe((ev) => this.fanOut(ev));
    this.server = http.createServer((req, res) => void this.handle(req, res));
  }

  async start(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, "127.0.0.1", r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    this.closeWatches();
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  /** Requests being answered now: 0 when the server has nothing left to say (watches and hung requests aside). */
  busy(): number {
    return this.answering;
  }

  /** Makes the next matching request(s) fail with the error, or hang. */
  injectError(e: InjectedError): void {
    this.injected.push({ times: 1, ...e });
  }

  /** Ends every watch stream normally (as a server-side timeout does). */
  closeWatches(): void {
    for (const w of this.watchers) w.res.end();
    this.watchers.clear();
  }

  /** Compacts history and sends every open watch an ERROR 410 Expired event, as after etcd compaction. */
  expireWatches(): void {
    this.store.compact();
    for (const w of this.watchers) {
      this.write(w.res, { type: "ERROR", object: errors.gone(`too old resource version: ${this.store.compactedRv}`).status });
      w.res.end();
    }
    this.watchers.clear();
  }

  sendBookmarks(): void {
    for (const w of this.watchers)
      if (w.bookmarks)
        this.write(w.res, { type: "BOOKMARK", object: { apiVersion: w.route.ref.group ? `${w.route.ref.group}/${w.route.ref.version}` : "v1", kind: w.route.ref.kind, metadata: { resourceVersion: String(this.store.rv) } } });
  }

  watcherCount(): number {
    return this.watchers.size;
  }

  private write(res: http.ServerResponse, ev: unknown): void {
    res.write(JSON.stringify(ev) + "\n");
  }

  private fanOut(ev: HistoryEvent): void {
    for (const w of this.watchers) this.deliver(w, ev);
  }

  private deliver(w: Watcher, ev: HistoryEvent): void {
    const r = w.route;
    if (ev.ref !== r.ref) return;
    if (r.ref.namespaced && r.ns && ev.obj.metadata.namespace !== r.ns) return;
    const now = w.match(ev.obj);
    const before = ev.prev ? w.match(ev.prev) : false;
    let type: string = ev.type;
    if (ev.type === "MODIFIED" && now && !before) type = "ADDED";
    else if (ev.type === "MODIFIED" && !now && before) type = "DELETED";
    else if (!now) return;
    this.write(w.res, { type, object: ev.obj });
  }

  private route(path: string): Route {
    const seg = path.split("/").filter(Boolean).map(decodeURIComponent);
    let group: string;
    let rest: string[];
    if (seg[0] === "api" && seg[1] === "v1") [group, rest] = ["", seg.slice(2)];
    else if (seg[0] === "apis" && seg.length >= 3) [group, rest] = [seg[1]!, seg.slice(3)];
    else throw errors.pathNotFound();
    if (rest[0] === "watch") rest = rest.slice(1);
    let ns = "";
    if (rest[0] === "namespaces" && rest.length >= 3 && this.store.find(group, rest[2]!)?.namespaced) {
      ns = rest[1]!;
      rest = rest.slice(2);
    }
    const ref = this.store.find(group, rest[0] ?? "");
    if (!ref || rest.length > 3) throw errors.pathNotFound();
    return { ref, ns, name: rest[1], subresource: rest[2] };
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://fake");
    this.requests.push({ method: req.method ?? "", path: url.pathname, query: url.search });
    this.answering++;
    let counted = true;
    const answered = (): void => {
      if (counted) this.answering--;
      counted = false;
    };
    res.once("close", answered);
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString("utf8");
    try {
      if (this.opts.token && req.headers.authorization !== `Bearer ${this.opts.token}`) throw errors.unauthorized();
      const inj = this.injected.find((e) => (!e.method || e.method === req.method) && (!e.path || url.pathname.includes(e.path)));
      if (inj) {
        if (--inj.times! <= 0) this.injected.splice(this.injected.indexOf(inj), 1);
        if (inj.hang) return answered();
        throw inj.error ?? errors.internal("injected");
      }
      const route = this.route(url.pathname);
      const q = url.searchParams;
      const body = text ? (JSON.parse(text) as KubeObject) : undefined;
      const isWatch = q.get("watch") === "true" || q.get("watch") === "1" || url.pathname.includes("/watch/");
      if (req.method === "GET" && isWatch && !route.name) {
        answered();
        return this.watch(route, q, res);
      }
      const [code, out] = this.serve(req.method ?? "GET", route, q, body, req.headers["content-type"] ?? "");
      res.writeHead(code, { "Content-Type": "application/json" });
      res.end(JSON.stringify(out));
    } catch (err) {
      const se = isStatusError(err) ? err : err instanceof SyntaxError ? errors.badRequest(err.message) : errors.internal(String(err));
      res.writeHead(se.code, { "Content-Type": "application/json" });
      res.end(JSON.stringify(se.status));
    }
  }

  private serve(method: string, r: Route, q: URLSearchParams, body: KubeObject | undefined, contentType: string): [number, unknown] {
    const s = this.store;
    switch (method) {
      case "GET":
        return [200, r.name ? s.get(r.ref, r.ns, r.name) : this.list(r, q)];
      case "POST":
        if (r.name) throw errors.methodNotAllowed("POST on a named object is not supported");
        return [201, q.get("dryRun") ? body : s.create(r.ref, r.ns, body ?? {})];
      case "PUT":
        if (!r.name) throw errors.methodNotAllowed("PUT needs an object name");
        return [200, s.update(r.ref, r.ns, r.name, body ?? {}, r.subresource)];
      case "PATCH": {
        if (!r.name) throw errors.methodNotAllowed("PATCH needs an object name");
        const cur = s.get(r.ref, r.ns, r.name);
        let next: unknown;
        if (contentType.startsWith("application/json-patch+json")) next = jsonPatch(cur, body);
        else if (contentType.startsWith("application/merge-patch+json") || contentType.startsWith("application/strategic-merge-patch+json")) next = mergePatch(cur, body);
        else throw errors.unsupportedMediaType(contentType);
        const patched = next as StoredObject;
        // Without a resourceVersion in the patch it applies to whatever is current.
        if (!(body as { metadata?: { resourceVersion?: string } } | undefined)?.metadata?.resourceVersion) patched.metadata = { ...patched.metadata, resourceVersion: cur.metadata.resourceVersion };
        return [200, s.update(r.ref, r.ns, r.name, patched, r.subresource)];
      }
      case "DELETE": {
        const opts = deleteOptions(q, body);
        if (r.name) return [200, s.delete(r.ref, r.ns, r.name, opts)];
        const items = this.matching(r, q).map((o) => s.delete(r.ref, o.metadata.namespace ?? "", o.metadata.name!, opts));
        return [200, { apiVersion: "v1", kind: `${r.ref.kind}List`, metadata: { resourceVersion: String(s.rv) }, items }];
      }
      default:
        throw errors.methodNotAllowed(`method ${method} is not supported`);
    }
  }

  private matching(r: Route, q: URLSearchParams): StoredObject[] {
    const lm = labelMatcher(q.get("labelSelector") ?? undefined);
    const fm = fieldMatcher(q.get("fieldSelector") ?? undefined);
    return this.store.list(r.ref, r.ns).filter((o) => lm(o) && fm(o));
  }

  private list(r: Route, q: URLSearchParams): unknown {
    let items = this.matching(r, q);
    const cont = q.get("continue");
    if (cont) {
      let start: { after: string; rv: number };
      try {
        start = JSON.parse(Buffer.from(cont, "base64url").toString("utf8")) as { after: string; rv: number };
      } catch {
        throw errors.badRequest("continue key is not valid");
      }
      if (start.rv < this.store.compactedRv) throw errors.gone("The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.");
      items = items.filter((o) => `${o.metadata.namespace ?? ""}/${o.metadata.name}` > start.after);
    }
    const limit = Number(q.get("limit") ?? 0);
    const metadata: Record<string, unknown> = { resourceVersion: String(this.store.rv) };
    if (limit > 0 && items.length > limit) {
      const last = items[limit - 1]!;
      metadata.continue = Buffer.from(JSON.stringify({ after: `${last.metadata.namespace ?? ""}/${last.metadata.name}`, rv: this.store.rv })).toString("base64url");
      metadata.remainingItemCount = items.length - limit;
      items = items.slice(0, limit);
    }
    return { apiVersion: r.ref.group ? `${r.ref.group}/${r.ref.version}` : "v1", kind: `${r.ref.kind}List`, metadata, items };
  }

  private watch(route: Route, q: URLSearchParams, res: http.ServerResponse): void {
    const lm = labelMatcher(q.get("labelSelector") ?? undefined);
    const fm = fieldMatcher(q.get("fieldSelector") ?? undefined);
    const w: Watcher = { route, match: (o) => lm(o) && fm(o), res, bookmarks: q.get("allowWatchBookmarks") === "true" };
    res.writeHead(200, { "Content-Type": "application/json", "Transfer-Encoding": "chunked" });
    res.flushHeaders();
    const rvParam = q.get("resourceVersion") ?? "";
    if (rvParam === "" || rvParam === "0") {
      for (const o of this.store.list(route.ref, route.ns)) if (w.match(o)) this.write(res, { type: "ADDED", object: o });
    } else {
      const from = Number(rvParam);
      if (from < this.store.compactedRv) {
        this.write(res, { type: "ERROR", object: errors.gone(`too old resource version: ${from} (${this.store.compactedRv})`).status });
        res.end();
        return;
      }
      for (const ev of this.store.history) if (ev.rv > from) this.deliver(w, ev);
    }
    this.watchers.add(w);
    const timeout = Number(q.get("timeoutSeconds") ?? 0);
    const timer = timeout > 0 ? setTimeout(() => res.end(), timeout * 1000) : undefined;
    res.on("close", () => {
      clearTimeout(timer);
      this.watchers.delete(w);
    });
  }
}

function deleteOptions(q: URLSearchParams, body: KubeObject | undefined): DeleteOptions {
  const b = (body ?? {}) as DeleteOptions & { dryRun?: string[] | boolean };
  const grace = q.get("gracePeriodSeconds");
  return {
    propagationPolicy: (q.get("propagationPolicy") as DeleteOptions["propagationPolicy"]) ?? b.propagationPolicy,
    gracePeriodSeconds: grace !== null ? Number(grace) : b.gracePeriodSeconds,
    preconditions: b.preconditions,
    dryRun: q.get("dryRun") === "All" || (Array.isArray(b.dryRun) && b.dryRun.includes("All")),
  };
}

export async function startFakeApiServer(opts: FakeApiServerOptions = {}): Promise<FakeApiServer> {
  return new FakeApiServer(opts).start();
}
