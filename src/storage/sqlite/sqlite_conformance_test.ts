// Runs the backend-independent storage conformance suite against the SQLite backend, on a temp file per test.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runStorageConformance } from "../conformance.js";
import { silentLogger } from "../../util/log.js";
import { openSqliteStorage } from "./sqlite_storage.js";

runStorageConformance("sqlite", async () => {
  const dir = await mkdtemp(join(tmpdir(), "k8ts-sqlite-conf-"));
  // A nested path checks that parent directories are created.
  const path = join(dir, "data", "state.db");
  const opened = [await openSqliteStorage({ path, compactIntervalMs: 0, logger: silentLogger })];
  return {
    store: opened[0]!,
    reopen: async () => {
      const s = await openSqliteStorage({ path, compactIntervalMs: 0, logger: silentLogger });
      opened.push(s);
      return s;
    },
    cleanup: async () => {
      for (const s of opened) await s.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});
