import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ContainerEvent } from "../types.js";
import { ContainerEventTracker } from "./container_events.js";

function tracker(): { t: ContainerEventTracker; seen: string[]; clock: { now: number } } {
  const clock = { now: 1000 };
  const t = new ContainerEventTracker((sb) => `uid-of-${sb}`, () => clock.now);
  const seen: string[] = [];
  t.subscribe((ev: ContainerEvent) => seen.push(`${ev.type} ${ev.containerId} ${ev.podUid}`));
  return { t, seen, clock };
}

describe("container events from calls and relists", () => {
  it("reports each change once, whoever sees it first", () => {
    const { t, seen, clock } = tracker();
    t.observe("created", "c1", "sb");
    t.relist([{ id: "c1", podSandboxId: "sb", state: "created" }], clock.now);
    t.observe("started", "c1", "sb");
    clock.now += 10;
    t.relist([{ id: "c1", podSandboxId: "sb", state: "exited" }], clock.now);
    t.observe("stopped", "c1", "sb");
    assert.deepEqual(seen, ["created c1 uid-of-sb", "started c1 uid-of-sb", "stopped c1 uid-of-sb"]);
  });

  it("never moves a container back on a stale relist", () => {
    const { t, seen, clock } = tracker();
    const listedAt = clock.now;
    t.observe("created", "c1", "sb");
    t.observe("started", "c1", "sb");
    t.observe("stopped", "c1", "sb");
    t.relist([{ id: "c1", podSandboxId: "sb", state: "running" }], listedAt);
    assert.deepEqual(seen.map((s) => s.split(" ")[0]), ["created", "started", "stopped"]);
  });

  it("reports deletion only for containers known before the relist began", () => {
    const { t, seen, clock } = tracker();
    const listedAt = clock.now;
    clock.now += 5;
    t.observe("created", "new", "sb");
    t.relist([], listedAt);
    assert.deepEqual(seen, ["created new uid-of-sb"]);
    clock.now += 5;
    t.relist([], clock.now);
    assert.deepEqual(seen, ["created new uid-of-sb", "deleted new uid-of-sb"]);
  });

  it("learns what exists on the first relist without reporting the past", () => {
    const { t, seen, clock } = tracker();
    t.relist([{ id: "old", podSandboxId: "sb", state: "running" }], clock.now, { quiet: true });
    assert.deepEqual(seen, []);
    clock.now += 1;
    t.relist([{ id: "old", podSandboxId: "sb", state: "exited" }], clock.now);
    assert.deepEqual(seen, ["stopped old uid-of-sb"]);
  });
});
