// The SQLite file layout: one log-structured table where every write is an INSERT and the row id is the store
// revision, plus a small meta table. Also opens the database with the settings durability depends on.
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";

/** One row of the log: a create, update or delete of `key` at revision `id`. */
export interface Row {
  id: number;
  key: string;
  /** 1 when this row created the key (the first row of an incarnation). */
  created: number;
  /** 1 when this row deleted the key; `value` then repeats the last value. */
  deleted: number;
  create_revision: number;
  /** The id of the key's previous row, 0 when there was none (or it was compacted away). */
  prev_revision: number;
  value: string;
}

/** A row joined with its predecessor (for prevKv), as the watch replay reads it. */
export interface RowWithPrev extends Row {
  p_value: string | null;
  p_create_revision: number | null;
}

export const SCHEMA_VERSION = 1;

const DDL = `
CREATE TABLE IF NOT EXISTS kv (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  key TEXT NOT NULL,
  created INTEGER NOT NULL,
  deleted INTEGER NOT NULL,
  create_revision INTEGER NOT NULL,
  prev_revision INTEGER NOT NULL,
  value TEXT NOT NULL
);
-- Two writers can never both replace the same row of a key: the database itself enforces compare-and-swap.
CREATE UNIQUE INDEX IF NOT EXISTS kv_key_prev ON kv (key, prev_revision);
-- Latest row of a key, and the state of a key at a revision.
CREATE INDEX IF NOT EXISTS kv_key_id ON kv (key, id);
CREATE TABLE IF NOT EXISTS meta (
  name TEXT PRIMARY KEY,
  value INTEGER NOT NULL
);
`;

export type Db = Database.Database;

/** Opens (creating when needed) the database at `path` with WAL and synchronous=FULL. */
export function openDatabase(path: string): Db {
  mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  try {
    // Must precede the first table so free pages can be returned to the file system after compaction.
    db.pragma("auto_vacuum = INCREMENTAL");
    db.pragma("journal_mode = WAL");
    // FULL: the WAL is fsynced at every commit, so an acknowledged write survives power loss, not just a crash.
    db.pragma("synchronous = FULL");
    // A checkpoint leaves the WAL at most this big, so the WAL does not stay at its high-water mark.
    db.pragma(`journal_size_limit = ${16 * 1024 * 1024}`);
    db.pragma("busy_timeout = 5000");
    db.exec(DDL);
    db.prepare("INSERT OR IGNORE INTO meta (name, value) VALUES ('schema_version', ?), ('compact_revision', 0)").run(SCHEMA_VERSION);
    const version = db.prepare("SELECT value FROM meta WHERE name = 'schema_version'").pluck().get() as number;
    if (version !== SCHEMA_VERSION) throw new Error(`database ${path} has schema version ${version}, this build reads ${SCHEMA_VERSION}`);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

/** The highest revision ever handed out (AUTOINCREMENT never reuses ids, even after compaction removed them). */
export function readCurrentRevision(db: Db): number {
  const seq = db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'kv'").pluck().get() as number | undefined;
  return seq ?? 0;
}

export function readCompactRevision(db: Db): number {
  return db.prepare("SELECT value FROM meta WHERE name = 'compact_revision'").pluck().get() as number;
}
