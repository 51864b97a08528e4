// The storage conformance suite against the in-memory test storage, so registry tests stand on a faithful fake.
import { describe } from "node:test";
import { kvTests } from "../../storage/conformance_kv.js";
import { listTests } from "../../storage/conformance_list.js";
import { watchTests } from "../../storage/conformance_watch.js";
import type { MakeFixture } from "../../storage/conformance_helpers.js";
import { createMemoryStorage } from "./memory_storage.js";

// Timer latency: the racing-writers test needs writes slow enough that watches start while they run.
const make: MakeFixture = async () => {
  const store = createMemoryStorage({ writeLatency: "timer" });
  return { store, cleanup: () => store.close() };
};

describe("memory storage conformance", () => {
  kvTests(make);
  listTests(make);
  watchTests(make);
});
