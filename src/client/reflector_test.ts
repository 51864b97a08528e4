import { test } from "node:test";
import assert from "node:assert/strict";
import type { KubeList, KubeObject } from "../api/object.js";
import { errors } from "../machinery/errors.js";
import { FakeClock } from "./clock.js";
import { Reflector, type ListerWatcher, type ReflectorSink } from "./reflector.js";
import type { ListOptions, WatchHandlers, WatchOptions } from "./types.js";

/** A scripted ListerWatcher: lists answer from a queue of results; watches are kept for the test to drive. */
class FakeLW implements ListerWatcher<KubeObject> {
  lists: Array<KubeList | Error> = [];
  listCalls: ListOptions[] = [];
  watches: Array<{ opts: WatchOptions; h: WatchHandlers<KubeObject>; stopped: boolean }> = [];
  async list(opts: ListOptions): Promise<KubeList> {
    this.listCalls.push(opts);
    const next = this.lists.shift() ?? { apiVersion: "v1", kind: "List", metadata: { resourceVersion: "1" }, items: [] };
    if (next instanceof Error) throw next;
    return next;
  }
  watch(opts: WatchOptions, h: WatchHandlers<KubeObject>) {
    const w = { opts, h, stopped: false };
    this.watches.push(w);
    return { stop: () => void ((w.stopped = true), h.onClose?.()), done: Promise.resolve() };
  }
}

const list = (rv: string, names: string[], cont?: string): KubeList => ({
  apiVersion: "v1",
  kind: "List",
  metadata: { resourceVersion: rv, continue: cont },
  items: names.map((n) => ({ metadata: { name: n, resourceVersion: rv } })),
});

function recorder(): ReflectorSink<KubeObject> & { log: string[] } {
  const log: string[] = [];
  return {
    log,
    replace: (items, rv) => log.push(`replace ${items.map((i) => i.metadata?.name).join(",")} @${rv}`),
    add: (o) => log.push(`add ${o.metadata?.name}`),
    update: (o) => log.push(`update ${o.metadata?.name}`),
    delete: (o) => log.push(`delete ${o.metadata?.name}`),
  };
}

const tick = () => new Promise((r) => setImmediate(r));

test("lists page by page, watches from the list's resourceVersion, resumes from the last event's", async () => {
  const lw = new FakeLW();
  lw.lists = [list("10", ["a", "b"], "next"), list("11", ["c"])];
  const sink = recorder();
  const clock = new FakeClock();
  const ac = new AbortController();
  const done = new Reflector({ name: "t", lw, sink, pageSize: 2, clock }).run(ac.signal);
  await tick();
  assert.deepEqual(lw.listCalls, [{ limit: 2, continue: undefined }, { limit: 2, continue: "next" }]);
  assert.deepEqual(sink.log, ["replace a,b,c @10"]);
  assert.equal(lw.watches[0]!.opts.resourceVersion, "10");
  assert.equal(lw.watches[0]!.opts.allowWatchBookmarks, true);
  lw.watches[0]!.h.onEvent({ type: "ADDED", object: { metadata: { name: "d", resourceVersion: "12" } } });
  lw.watches[0]!.h.onEvent({ type: "BOOKMARK", object: { metadata: { resourceVersion: "15" } } });
  clock.advance(1000); // the watch lived a while
  lw.watches[0]!.h.onClose!();
  await tick();
  assert.equal(lw.watches[1]!.opts.resourceVersion, "15", "resumed from the bookmark, no relist");
  assert.equal(lw.listCalls.length, 2);
  ac.abort();
  await done;
});

test("a 410 ERROR event relists; list failures back off exponentially on the clock", async () => {
  const lw = new FakeLW();
  lw.lists = [list("5", ["a"]), errors.internal("boom"), errors.internal("boom"), list("9", ["b"])];
  const sink = recorder();
  const clock = new FakeClock();
  const ac = new AbortController();
  const done = new Reflector({ name: "t", lw, sink, clock, backoffInitialMs: 100, backoffMaxMs: 1000 }).run(ac.signal);
  await tick();
  lw.watches[0]!.h.onEvent({ type: "ERROR", object: errors.gone("too old resource version: 5 (7)").status });
  await tick();
  assert.equal(lw.watches[0]!.stopped, true);
  assert.equal(lw.listCalls.length, 2, "relisted at once");
  clock.advance(99);
  await tick();
  assert.equal(lw.listCalls.length, 2);
  clock.advance(1);
  await tick();
  assert.equal(lw.listCalls.length, 3, "first retry after 100 ms");
  clock.advance(199);
  await tick();
  assert.equal(lw.listCalls.length, 3);
  clock.advance(1);
  await tick();
  await tick();
  assert.equal(lw.listCalls.length, 4, "second retry after 200 ms");
  assert.deepEqual(sink.log, ["replace a @5", "replace b @9"]);
  assert.equal(lw.watches[1]!.opts.resourceVersion, "9");
  ac.abort();
  await done;
});

test("an expired continue token restarts the list unpaged", async () => {
  const lw = new FakeLW();
  lw.lists = [list("3", ["a"], "tok"), errors.gone("continue too old"), list("8", ["a", "b"])];
  const sink = recorder();
  const ac = new AbortController();
  const done = new Reflector({ name: "t", lw, sink, pageSize: 1, clock: new FakeClock() }).run(ac.signal);
  await tick();
  assert.deepEqual(sink.log, ["replace a,b @8"]);
  assert.deepEqual(lw.listCalls[2], {});
  ac.abort();
  await done;
});
