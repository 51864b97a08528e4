import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { silentLogger } from "../../util/log.js";
import { createMemoryStorage } from "../testing/memory_storage.js";
import { LEAK_GRACE_MS, RangeAllocator, type Owner } from "./range_allocator.js";
import { candidates, cidrRange, formatIPv4, parseIPv4, portRange } from "./ranges.js";

const NOW = new Date("2026-01-01T12:00:00Z");

function allocator(opts: { holders?: Map<string, number[]>; first?: number; last?: number } = {}) {
  const storage = createMemoryStorage();
  const alloc = new RangeAllocator({
    storage,
    prefix: "/registry/ranges/test/",
    range: { first: opts.first ?? 1, last: opts.last ?? 40, staticBand: 4 },
    format: String,
    parse: (s) => Number(s),
    inUse: () => new Map(),
    // Owners whose uid is in `holders` hold those values; everyone else holds nothing.
    ownerHolds: async (owner, n) => opts.holders?.get(owner.uid)?.includes(n) ?? false,
    clock: () => NOW,
    logger: silentLogger,
  });
  return { storage, alloc };
}

const owner = (uid: string): Owner => ({ namespace: "default", name: uid, uid });

describe("RangeAllocator", () => {
  it("hands out every value once, concurrently, then reports the range full", async () => {
    const { alloc } = allocator();
    const got = await Promise.all(Array.from({ length: 40 }, (_, i) => alloc.reserveNext(owner(`o${i}`), { dryRun: false })));
    assert.equal(new Set(got).size, 40);
    assert.ok(got.every((n) => n !== undefined && n >= 1 && n <= 40));
    assert.equal(await alloc.reserveNext(owner("late"), { dryRun: false }), undefined);
  });

  it("says owned for the owner's own value and taken for another's; release needs the owner", async () => {
    const { alloc, storage } = allocator();
    assert.equal(await alloc.reserve(7, owner("a"), { dryRun: false }), "reserved");
    assert.equal(await alloc.reserve(7, owner("a"), { dryRun: false }), "owned");
    assert.equal(await alloc.reserve(7, owner("b"), { dryRun: false }), "taken");
    await alloc.release(7, "b");
    assert.ok(await storage.get("/registry/ranges/test/7"));
    await alloc.release(7, "a");
    assert.equal(await storage.get("/registry/ranges/test/7"), null);
  });

  it("reclaims a marker left by a write that never happened, once it is old enough", async () => {
    const { alloc, storage } = allocator({ holders: new Map([["alive", [9]]]) });
    const at = (ms: number) => new Date(NOW.getTime() - ms).toISOString();
    await storage.create("/registry/ranges/test/8", JSON.stringify({ ...owner("ghost"), at: at(LEAK_GRACE_MS + 1000) }));
    await storage.create("/registry/ranges/test/9", JSON.stringify({ ...owner("alive"), at: at(LEAK_GRACE_MS + 1000) }));
    await storage.create("/registry/ranges/test/10", JSON.stringify({ ...owner("inflight"), at: at(1000) }));
    assert.equal(await alloc.reserve(8, owner("new"), { dryRun: true }), "reserved");
    assert.equal(await alloc.reserve(8, owner("new"), { dryRun: false }), "reserved");
    assert.equal(await alloc.reserve(9, owner("new"), { dryRun: false }), "taken");
    assert.equal(await alloc.reserve(10, owner("new"), { dryRun: false }), "taken");
  });
});

describe("ranges", () => {
  it("computes the usable addresses and static bands Kubernetes uses", () => {
    const r = cidrRange("10.96.0.0/12");
    assert.equal(formatIPv4(r.first), "10.96.0.1");
    assert.equal(formatIPv4(r.last), "10.111.255.254");
    assert.equal(r.staticBand, 256);
    assert.deepEqual(portRange({ first: 30000, last: 32767 }), { first: 30000, last: 32767, staticBand: 86 });
    assert.equal(parseIPv4("10.96.0.010"), undefined);
    assert.equal(parseIPv4("256.0.0.1"), undefined);
  });

  it("tries the upper band before the static one", () => {
    const order = [...candidates({ first: 1, last: 10, staticBand: 3 }, () => 0)];
    assert.deepEqual(order, [4, 5, 6, 7, 8, 9, 10, 1, 2, 3]);
  });
});
