// Key and value validation shared by every backend, so bad input fails the same way everywhere.
import { StorageError } from "./errors.js";

/** etcd's default request size limit; Kubernetes objects must fit in it. */
export const MAX_VALUE_BYTES = 1.5 * 1024 * 1024;
/** Long enough for /registry/<group>/<resource>/<253-char ns>/<253-char name>, with room to spare. */
export const MAX_KEY_BYTES = 2048;

export function validateKey(key: string): void {
  if (typeof key !== "string" || key.length === 0) throw new StorageError("InvalidKey", "key must be a non-empty string");
  if (key.charCodeAt(0) !== SLASH) throw new StorageError("InvalidKey", `key ${JSON.stringify(key)} must start with "/"`, { key });
  // A UTF-16 code unit is at most 3 UTF-8 bytes: only a long key needs counting.
  if (key.length * 3 > MAX_KEY_BYTES && Buffer.byteLength(key) > MAX_KEY_BYTES)
    throw new StorageError("InvalidKey", `key is ${Buffer.byteLength(key)} bytes, over the ${MAX_KEY_BYTES}-byte limit`, { key });
  // One pass for control characters and "." or ".." segments (each segment starts after a "/").
  let control = false;
  let dotSegment: string | undefined;
  let dots = 0;
  let segmentStart = true;
  for (let i = 1; i <= key.length; i++) {
    const c = i < key.length ? key.charCodeAt(i) : SLASH;
    if (c < 0x20 || c === 0x7f) control = true;
    if (c === SLASH) {
      if (segmentStart && dots > 0 && dots <= 2 && dotSegment === undefined) dotSegment = dots === 1 ? "." : "..";
      dots = 0;
      segmentStart = true;
    } else if (c === DOT && segmentStart) dots++;
    else {
      segmentStart = false;
      dots = 0;
    }
  }
  if (control) throw new StorageError("InvalidKey", `key ${JSON.stringify(key)} contains a control character`, { key });
  if (dotSegment) throw new StorageError("InvalidKey", `key ${JSON.stringify(key)} contains a "${dotSegment}" segment`, { key });
}

const SLASH = 0x2f;
const DOT = 0x2e;

/** A prefix for list/watch: same rules as a key, and it may end with "/". */
export function validatePrefix(prefix: string): void {
  validateKey(prefix);
}

export function validateValue(key: string, value: string): void {
  if (typeof value !== "string") throw new StorageError("Internal", `value for ${key} must be a string`, { key });
  // As for keys: a UTF-16 code unit is at most 3 UTF-8 bytes, so only a value of over 512 Ki units needs counting.
  if (value.length * 3 <= MAX_VALUE_BYTES) return;
  const n = Buffer.byteLength(value);
  if (n > MAX_VALUE_BYTES)
    throw new StorageError("ValueTooLarge", `value for ${key} is ${n} bytes, over the ${MAX_VALUE_BYTES}-byte limit`, { key });
}
