// Storage errors carry a code; the registry translates them into API Status errors at its boundary.
import type { KeyValue } from "./types.js";

export type StorageErrorCode =
  | "KeyExists"
  | "KeyNotFound"
  | "Conflict"
  | "Expired"
  | "FutureRevision"
  | "InvalidKey"
  | "ValueTooLarge"
  | "InvalidContinue"
  | "Unavailable"
  | "Closed"
  | "Internal";

export class StorageError extends Error {
  readonly code: StorageErrorCode;
  readonly key?: string;
  /** For Conflict: the key's current state. */
  readonly current?: KeyValue;

  constructor(code: StorageErrorCode, message: string, extra: { key?: string; current?: KeyValue; cause?: unknown } = {}) {
    super(message, extra.cause === undefined ? undefined : { cause: extra.cause });
    this.name = "StorageError";
    this.code = code;
    this.key = extra.key;
    this.current = extra.current;
  }
}

export function isStorageError(err: unknown, code?: StorageErrorCode): err is StorageError {
  return err instanceof StorageError && (code === undefined || err.code === code);
}

export const storageErrors = {
  keyExists: (key: string) => new StorageError("KeyExists", `key ${key} already exists`, { key }),
  keyNotFound: (key: string) => new StorageError("KeyNotFound", `key ${key} not found`, { key }),
  conflict: (key: string, expected: number, current?: KeyValue) =>
    new StorageError(
      "Conflict",
      `key ${key}: expected revision ${expected}, found ${current ? current.modRevision : "no key"}`,
      { key, current },
    ),
  expired: (revision: number, compacted: number) =>
    new StorageError("Expired", `revision ${revision} has been compacted (oldest available is ${compacted})`),
  futureRevision: (revision: number, current: number) =>
    new StorageError("FutureRevision", `revision ${revision} is newer than the store's current revision ${current}`),
  invalidContinue: (why: string) => new StorageError("InvalidContinue", `invalid continue token: ${why}`),
  closed: () => new StorageError("Closed", "storage is closed"),
};
