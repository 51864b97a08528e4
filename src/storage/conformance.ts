// The backend-independent storage conformance suite. A backend's test calls
//   runStorageConformance("sqlite", async () => ({ store, reopen, cleanup }))
// and gets a node:test describe() block whose tests use only the Storage interface (types.ts).
//
// Each test makes its own fixture and puts its keys under a random root, so tests never see each other's data.
// The fixture's store must not be written by anyone else during a test: some checks compare currentRevision()
// with the revision of the test's last write.
import { describe } from "node:test";
import type { MakeFixture } from "./conformance_helpers.js";
import { kvTests } from "./conformance_kv.js";
import { listTests } from "./conformance_list.js";
import { loadTests } from "./conformance_load.js";
import { watchTests } from "./conformance_watch.js";

export type { StorageFixture } from "./conformance_helpers.js";

export function runStorageConformance(name: string, makeFixture: MakeFixture): void {
  describe(name, () => {
    describe("keys and values", () => kvTests(makeFixture));
    describe("list and compaction", () => listTests(makeFixture));
    describe("watch", () => watchTests(makeFixture));
    describe("concurrency", () => loadTests(makeFixture));
  });
}
