// Key and value validation shared by every backend, so bad input fails the same way everywhere.
import { StorageError } from "./errors.js";

/** etcd's default request size limit; Kubernetes objects must fit in it. */
export const MAX_VALUE_BYTES = 1.5 * 1024 * 1024;
/** Long enough for /registry/<group>/<resource>/<253-char ns>/<253-char name>, with room to spare. */
export const MAX_KEY_BYTES = 2048;

export function validateKey(key: string): void {
  if (typeof key !== "string" || key.length === 0) throw new StorageError("InvalidKey", "key must be a non-empty string");
  if (!key.startsWith("/")) throw new StorageError("InvalidKey", `key ${JSON.stringify(key)} must start with "/"`, { key });
  if (Buffer.byteLength(key) > MAX_KEY_BYTES)
    throw new StorageError("InvalidKey", `key is ${Buffer.byteLength(key)} bytes, over the ${MAX_KEY_BYTES}-byte limit`, { key });
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(key)) throw new StorageError("InvalidKey", `key ${JSON.stringify(key)} contains a control character`, { key });
  for (const seg of key.slice(1).split("/")) {
    if (seg === "." || seg === "..") throw new StorageError("InvalidKey", `key ${JSON.stringify(key)} contains a "${seg}" segment`, { key });
  }
}

/** A prefix for list/watch: same rules as a key, and it may end with "/". */
export function validatePrefix(prefix: string): void {
  validateKey(prefix);
}

export function validateValue(key: string, value: string): void {
  if (typeof value !== "string") throw new StorageError("Internal", `value for ${key} must be a string`, { key });
  const n = Buffer.byteLength(value);
  if (n > MAX_VALUE_BYTES)
    throw new StorageError("ValueTooLarge", `value for ${key} is ${n} bytes, over the ${MAX_VALUE_BYTES}-byte limit`, { key });
}
