// Child process of durability_test.ts: opens the store and writes until killed, printing each write only after
// its promise resolved (so every printed line is an acknowledged write). Lines:
//   ready
//   u <key> <revision> <n>    key now holds the number n
//   c <key> <revision>        key created
//   d <key> <revision>        key deleted (and never written again)
import { silentLogger } from "../../util/log.js";
import type { KeyValue } from "../types.js";
import { openSqliteStorage } from "./sqlite_storage.js";

const LANES = 8;
const path = process.argv[2];
if (!path) throw new Error("usage: durability_child <db path>");

// Aggressive compaction so kills also land in the middle of compactions.
const store = await openSqliteStorage({ path, compactIntervalMs: 5, retainRevisions: 50, logger: silentLogger });
const out = (line: string) => process.stdout.write(line + "\n");
out("ready");

async function lane(i: number): Promise<never> {
  const key = `/durability/u/${i}`;
  let kv: KeyValue | null = await store.get(key);
  if (!kv) {
    kv = await store.create(key, "0");
    out(`u ${key} ${kv.modRevision} 0`);
  }
  for (let n = Number(kv.value) + 1; ; n++) {
    kv = await store.update(key, String(n), { expectedRevision: kv.modRevision });
    out(`u ${key} ${kv.modRevision} ${n}`);
    if (n % 3 === 0) {
      // n is new in every run (it continues from the stored value), so these keys are never reused.
      const temp = `/durability/d/${i}/${n}`;
      const c = await store.create(temp, "x".repeat(n % 2000));
      out(`c ${temp} ${c.modRevision}`);
      const d = await store.delete(temp);
      out(`d ${temp} ${d.modRevision}`);
    }
  }
}

await Promise.all(Array.from({ length: LANES }, (_, i) => lane(i)));
