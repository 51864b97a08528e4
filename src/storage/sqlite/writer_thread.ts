// The SQLite writer thread: owns the store's only write connection and runs each batch of writes in one
// transaction. The commit's fsync (synchronous=FULL, several milliseconds on ordinary disks) happens here, so the
// main thread goes on decoding requests, serving reads and fanning out watches while a batch is made durable.
// Compare-and-swap checks run inside the transaction, against the rows as they are at that moment.
//
// writerThreadMain runs as the body of an eval'd worker (its source text, see group_commit.ts), so it must be
// self-contained: no imports from this module's scope, only require() inside. That keeps the thread's start cheap
// and the same whether k8ts runs compiled or from TypeScript source.
import type { Row } from "./schema.js";
import type { BatchReply, WireOutcome, WriteOp } from "./writer_protocol.js";

export function writerThreadMain(): void {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { parentPort, workerData } = require("node:worker_threads") as typeof import("node:worker_threads");
  const data = workerData as { path: string; sqliteModule: string };
  // Resolved by the main thread: an eval'd thread would resolve bare names from the working directory.
  const Database = require(data.sqliteModule) as typeof import("better-sqlite3");
  // SQLite's extended code for a UNIQUE constraint violation.
  const UNIQUE_VIOLATION = "SQLITE_CONSTRAINT_UNIQUE";

  // The main thread created the file and its schema (schema.ts); these settings are per connection.
  const db = new Database(data.path);
  db.pragma("synchronous = FULL");
  db.pragma("busy_timeout = 5000");
  const latest = db.prepare<[string], Row>("SELECT * FROM kv WHERE key = ? ORDER BY id DESC LIMIT 1");
  // Positional parameters: binding by name looks each one up on an object (about 2 us more per write).
  const insert = db.prepare<[number, string, number, number, number, number, string]>(
    "INSERT INTO kv (id, key, created, deleted, create_revision, prev_revision, value) VALUES (?, ?, ?, ?, ?, ?, ?)",
  );
  // The highest revision ever handed out: read in each transaction, so ids stay right after a rolled-back batch.
  const sequence = db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'kv'").pluck();

  const apply = (op: WriteOp, id: number): WireOutcome => {
    const cur = latest.get(op.key);
    const live = cur && !cur.deleted ? cur : undefined;
    let row: Row;
    if (op.kind === "create") {
      if (live) return { error: "KeyExists" };
      row = { id, key: op.key, created: 1, deleted: 0, create_revision: id, prev_revision: cur?.id ?? 0, value: op.value };
    } else {
      if (!live) return { error: "KeyNotFound" };
      if (op.expectedRevision !== undefined && op.expectedRevision !== live.id) {
        return { error: "Conflict", expected: op.expectedRevision, current: { value: live.value, createRevision: live.create_revision, modRevision: live.id } };
      }
      const deleting = op.kind === "delete";
      row = {
        id,
        key: op.key,
        created: 0,
        deleted: deleting ? 1 : 0,
        create_revision: live.create_revision,
        prev_revision: live.id,
        value: deleting ? live.value : op.value,
      };
    }
    try {
      insert.run(row.id, row.key, row.created, row.deleted, row.create_revision, row.prev_revision, row.value);
    } catch (err) {
      // Only another process writing the same file could get here: report the write as lost, not the batch.
      if ((err as { code?: unknown }).code === UNIQUE_VIOLATION) return { error: "Concurrent", message: String(err) };
      throw err;
    }
    // The value travels back only where the main thread does not have it: a delete repeats the last value.
    return {
      id,
      created: row.created,
      deleted: row.deleted,
      createRevision: row.create_revision,
      value: op.kind === "delete" ? row.value : undefined,
      prev: live && { value: live.value, createRevision: live.create_revision, modRevision: live.id },
    };
  };

  const runBatch = db.transaction((ops: WriteOp[]): WireOutcome[] => {
    let rev = ((sequence.get() as number | undefined) ?? 0);
    return ops.map((op) => {
      const out = apply(op, rev + 1);
      if (!("error" in out)) rev = out.id;
      return out;
    });
  });

  parentPort!.postMessage({ ready: true });
  parentPort!.on("message", (msg: { seq: number; ops: WriteOp[] } | { close: true }) => {
    if ("close" in msg) {
      db.close();
      parentPort!.close();
      return;
    }
    let reply: BatchReply;
    try {
      reply = { seq: msg.seq, outcomes: runBatch.immediate(msg.ops) };
    } catch (err) {
      reply = { seq: msg.seq, failed: String(err) };
    }
    parentPort!.postMessage(reply);
  });
}
