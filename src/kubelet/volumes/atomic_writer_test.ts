import assert from "node:assert/strict";
import { lstatSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { writeAtomically, type Payload } from "./atomic_writer.js";

const root = mkdtempSync(join(tmpdir(), "k8ts-atomic-"));
after(() => rmSync(root, { recursive: true, force: true }));

const payload = (entries: Record<string, [string, number]>): Payload => new Map(Object.entries(entries).map(([k, [d, mode]]) => [k, { data: Buffer.from(d), mode }]));

describe("atomic writer", () => {
  it("writes files through the ..data symlink with their modes", async () => {
    const dir = join(root, "a");
    assert.equal(await writeAtomically(dir, payload({ "game.properties": ["lives=3", 0o644], "sub/dir/key": ["v", 0o400] })), true);
    assert.equal(readFileSync(join(dir, "game.properties"), "utf8"), "lives=3");
    assert.equal(readFileSync(join(dir, "sub/dir/key"), "utf8"), "v");
    assert.equal(lstatSync(join(dir, "game.properties")).isSymbolicLink(), true);
    assert.equal(readlinkSync(join(dir, "game.properties")), "..data/game.properties");
    assert.match(readlinkSync(join(dir, "..data")), /^\.\.\d{4}_/);
    assert.equal(statSync(join(dir, "game.properties")).mode & 0o777, 0o644);
    assert.equal(statSync(join(dir, "sub/dir/key")).mode & 0o777, 0o400);
  });

  it("swaps contents in place, removes dropped keys and the old generation, and skips unchanged payloads", async () => {
    const dir = join(root, "b");
    await writeAtomically(dir, payload({ one: ["1", 0o644], two: ["2", 0o644] }));
    const first = readlinkSync(join(dir, "..data"));
    assert.equal(await writeAtomically(dir, payload({ one: ["1", 0o644], two: ["2", 0o644] })), false);
    assert.equal(readlinkSync(join(dir, "..data")), first);
    assert.equal(await writeAtomically(dir, payload({ one: ["uno", 0o644] })), true);
    assert.equal(readFileSync(join(dir, "one"), "utf8"), "uno");
    assert.notEqual(readlinkSync(join(dir, "..data")), first);
    const entries = readdirSync(dir).sort();
    assert.deepEqual(entries.filter((e) => !e.startsWith("..")), ["one"]);
    assert.equal(entries.filter((e) => e.startsWith("..") && e !== "..data").length, 1, `one generation left: ${entries.join(",")}`);
    // A mode change alone is a change.
    assert.equal(await writeAtomically(dir, payload({ one: ["uno", 0o600] })), true);
    assert.equal(statSync(join(dir, "one")).mode & 0o777, 0o600);
  });

  it("refuses paths that leave the volume", async () => {
    await assert.rejects(writeAtomically(join(root, "c"), payload({ "../escape": ["x", 0o644] })), /must not contain '\.\.'/);
    await assert.rejects(writeAtomically(join(root, "c"), payload({ "/abs": ["x", 0o644] })), /must be relative/);
  });
});
