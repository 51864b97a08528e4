// Conversions from log rows to the contract's KeyValue and WatchEvent.
import type { KeyValue, WatchEvent } from "../types.js";
import type { Row, RowWithPrev } from "./schema.js";

export function rowToKv(row: Row): KeyValue {
  return { key: row.key, value: row.value, createRevision: row.create_revision, modRevision: row.id };
}

/** The event a row stands for; `prev` is the key's previous live row (absent for a create). */
export function rowToEvent(row: Row, prev: KeyValue | undefined): WatchEvent {
  const kv = rowToKv(row);
  if (row.created) return { type: "create", kv };
  return { type: row.deleted ? "delete" : "update", kv, prevKv: prev };
}

export function joinedRowToEvent(row: RowWithPrev): WatchEvent {
  const prev: KeyValue | undefined =
    row.created || row.p_value === null || row.p_create_revision === null
      ? undefined
      : { key: row.key, value: row.p_value, createRevision: row.p_create_revision, modRevision: row.prev_revision };
  return rowToEvent(row, prev);
}

/** The smallest string greater than every string starting with `prefix` (for `key < end` range scans). */
export function prefixEnd(prefix: string): string {
  const cps = Array.from(prefix);
  while (cps.length > 0) {
    const cp = cps.pop()!.codePointAt(0)!;
    if (cp < 0x10ffff) {
      // UTF-8 byte order equals code point order, which is how SQLite's BINARY collation compares TEXT.
      const next = cp + 1 === 0xd800 ? 0xe000 : cp + 1;
      return cps.join("") + String.fromCodePoint(next);
    }
  }
  return "\u{10ffff}\u{10ffff}";
}
