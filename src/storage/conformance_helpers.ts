// Helpers for the storage conformance suite: fixtures per test, error assertions, watch event collection.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { it } from "node:test";
import { isStorageError, type StorageErrorCode } from "./errors.js";
import type { KeyValue, Storage, WatchEvent, WatchOptions } from "./types.js";

export interface StorageFixture {
  /** A store nobody else writes to while the test runs (revision assertions rely on it). */
  store: Storage;
  /** Reopens the same data after store.close() (persistence checks); the test closes what it returns. */
  reopen?: () => Promise<Storage>;
  /** Closes the store (close() must be idempotent) and removes everything the fixture made. */
  cleanup(): Promise<void>;
}

export type MakeFixture = () => Promise<StorageFixture>;

/** Each test gets a fresh fixture and a random key root, so a backend may share one server between fixtures. */
export interface TestContext {
  fx: StorageFixture;
  store: Storage;
  /** A unique prefix like "/conformance-1a2b3c4d" (no trailing slash); every key of the test lives under it. */
  root: string;
}

/** Generous: only a hung backend hits it, never a slow machine. */
export const WAIT_MS = 20_000;
const TEST_TIMEOUT_MS = 60_000;

export function storageTest(makeFixture: MakeFixture, title: string, fn: (ctx: TestContext) => Promise<void>): void {
  it(title, { timeout: TEST_TIMEOUT_MS }, async () => {
    const fx = await makeFixture();
    try {
      await fn({ fx, store: fx.store, root: `/conformance-${randomBytes(4).toString("hex")}` });
    } finally {
      await fx.cleanup();
    }
  });
}

/** Asserts that `p` rejects with a StorageError of `code`; returns the error for further checks. */
export async function rejectsWith(p: Promise<unknown>, code: StorageErrorCode, what: string) {
  try {
    await p;
  } catch (err) {
    if (!isStorageError(err, code)) {
      assert.fail(`${what}: expected StorageError ${code}, got ${err instanceof Error ? `${err.name} ${(err as { code?: unknown }).code ?? ""}: ${err.message}` : String(err)}`);
    }
    return err;
  }
  assert.fail(`${what}: expected StorageError ${code}, but it succeeded`);
}

export function assertKv(actual: KeyValue | null | undefined, expected: KeyValue, what: string): void {
  assert.ok(actual, `${what}: expected a KeyValue, got ${String(actual)}`);
  assert.deepEqual(
    { key: actual.key, value: actual.value, createRevision: actual.createRevision, modRevision: actual.modRevision },
    expected,
    what,
  );
}

/** Strips anything beyond the four contract fields, for deepEqual comparisons. */
export function plain(kv: KeyValue): KeyValue {
  return { key: kv.key, value: kv.value, createRevision: kv.createRevision, modRevision: kv.modRevision };
}

export function byteCompare(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** Collects a watch's events and errors, and lets a test wait for a condition on them. */
export class WatchCollector {
  readonly events: WatchEvent[] = [];
  readonly errors: Error[] = [];
  private wake: (() => void) | undefined;

  readonly onEvents = (events: WatchEvent[]): void => {
    assert.ok(Array.isArray(events) && events.length > 0, "onEvents must receive a non-empty array");
    this.events.push(...events);
    this.wake?.();
  };

  readonly onError = (err: Error): void => {
    this.errors.push(err);
    this.wake?.();
  };

  options(sinceRevision: number): WatchOptions {
    return { sinceRevision, onEvents: this.onEvents, onError: this.onError };
  }

  /** Resolves when pred() holds; fails after WAIT_MS with `what` and what was received so far. */
  async waitFor(pred: () => boolean, what: string): Promise<void> {
    const deadline = Date.now() + WAIT_MS;
    while (!pred()) {
      const left = deadline - Date.now();
      if (left <= 0) {
        assert.fail(`timed out waiting for ${what}; got ${this.events.length} events (${describeEvents(this.events.slice(-5))}) and errors [${this.errors.map((e) => e.message).join("; ")}]`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 200));
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  async waitForRevision(revision: number): Promise<void> {
    await this.waitFor(() => this.events.some((e) => e.kv.modRevision >= revision) || this.errors.length > 0, `an event at revision ${revision}`);
    assert.deepEqual(this.errors.map((e) => e.message), [], "watch reported errors");
  }
}

export function describeEvents(events: WatchEvent[]): string {
  return events.map((e) => `${e.type} ${e.kv.key}@${e.kv.modRevision}`).join(", ");
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
