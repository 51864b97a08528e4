// Crash safety: a child process writes continuously and is SIGKILLed at random moments; after every kill the file
// must pass integrity_check, reopen, and hold every write the child saw acknowledged.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { extname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { silentLogger } from "../../util/log.js";
import { openSqliteStorage } from "./sqlite_storage.js";

const ROUNDS = 50;
// The child is a sibling of this file: .ts under tsx (execArgv carries --import tsx), .js when compiled.
const CHILD = fileURLToPath(new URL(`./durability_child${extname(fileURLToPath(import.meta.url))}`, import.meta.url));

interface Acked {
  /** Updates: the highest revision and number acknowledged per key. */
  updates: Map<string, { revision: number; n: number }>;
  created: Map<string, number>;
  deleted: Map<string, number>;
  maxRevision: number;
}

/** Runs the child until a random moment, kills it, and returns its complete stdout lines. */
async function runAndKill(path: string, early: boolean): Promise<{ lines: string[] }> {
  const child = spawn(process.execPath, [...process.execArgv, CHILD, path], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  await new Promise<void>((resolve) => {
    if (early) {
      setTimeout(resolve, Math.random() * 600);
      return;
    }
    // Wait for the first acknowledged write (so every such round really interrupts writing), then a random delay.
    const delay = () => setTimeout(resolve, Math.random() * 150);
    const onData = () => {
      if (/^ready\n.+\n/.test(stdout)) {
        child.stdout.off("data", onData);
        delay();
      }
    };
    child.stdout.on("data", onData);
    // If the child dies on its own, stop waiting (the assertion below reports why).
    child.on("exit", () => resolve());
  });
  const killedByUs = child.exitCode === null && child.kill("SIGKILL");
  await exited;
  assert.ok(killedByUs, `the durability child exited by itself (code ${child.exitCode}): ${stderr}`);
  const complete = stdout.slice(0, stdout.lastIndexOf("\n") + 1);
  return { lines: complete.split("\n").filter((l) => l !== "") };
}

function record(acked: Acked, lines: string[]): number {
  let writes = 0;
  for (const line of lines) {
    const [kind, key, revText, nText] = line.split(" ");
    if (kind === "ready") continue;
    const revision = Number(revText);
    assert.ok(key && Number.isSafeInteger(revision) && revision > 0, `bad child line ${JSON.stringify(line)}`);
    acked.maxRevision = Math.max(acked.maxRevision, revision);
    writes++;
    if (kind === "u") {
      const prev = acked.updates.get(key);
      if (!prev || revision > prev.revision) acked.updates.set(key, { revision, n: Number(nText) });
    } else if (kind === "c") acked.created.set(key, revision);
    else if (kind === "d") acked.deleted.set(key, revision);
    else assert.fail(`bad child line ${JSON.stringify(line)}`);
  }
  return writes;
}

function integrityCheck(path: string): void {
  const db = new Database(path);
  try {
    assert.deepEqual(db.pragma("integrity_check", { simple: true }), "ok");
  } finally {
    db.close();
  }
}

async function verify(path: string, acked: Acked, round: number): Promise<void> {
  const store = await openSqliteStorage({ path, compactIntervalMs: 0, logger: silentLogger });
  try {
    const where = `after kill ${round}`;
    assert.ok((await store.currentRevision()) >= acked.maxRevision, `${where}: revision went back below an acknowledged write`);
    for (const [key, { revision, n }] of acked.updates) {
      const kv = await store.get(key);
      assert.ok(kv, `${where}: ${key} is missing`);
      assert.ok(kv.modRevision >= revision, `${where}: ${key} is at revision ${kv.modRevision}, acknowledged ${revision}`);
      assert.ok(Number(kv.value) >= n, `${where}: ${key} holds ${kv.value}, acknowledged ${n}`);
    }
    for (const [key, revision] of acked.deleted) assert.equal(await store.get(key), null, `${where}: ${key} deleted at ${revision} is back`);
    for (const [key, revision] of acked.created) {
      if (acked.deleted.has(key)) continue;
      // The delete that follows each create may have committed without being acknowledged yet.
      const kv = await store.get(key);
      if (kv) assert.equal(kv.createRevision, revision, `${where}: ${key} has the wrong createRevision`);
    }
  } finally {
    await store.close();
  }
}

test(`acknowledged writes survive ${ROUNDS} SIGKILLs and the file stays intact`, { timeout: 180_000 }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "k8ts-sqlite-durability-"));
  const path = join(dir, "state.db");
  const acked: Acked = { updates: new Map(), created: new Map(), deleted: new Map(), maxRevision: 0 };
  let total = 0;
  let writingRounds = 0;
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      // One kill in five lands at a random moment of start-up (opening and recovering the file).
      const { lines } = await runAndKill(path, round % 5 === 0);
      const writes = record(acked, lines);
      total += writes;
      if (writes > 0) writingRounds++;
      integrityCheck(path);
      await verify(path, acked, round);
    }
    // The check is only meaningful if kills really interrupted writing.
    assert.ok(writingRounds >= (ROUNDS * 4) / 5, `only ${writingRounds} of ${ROUNDS} rounds wrote anything`);
    assert.ok(total > 0);
    t.diagnostic(`${total} acknowledged writes over ${writingRounds} interrupted rounds; last revision ${acked.maxRevision}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
