// Continue tokens for paged lists: opaque to clients, they carry the list's revision and the last key returned.
import { storageErrors } from "../errors.js";

export interface ContinuePoint {
  /** The revision the first page was read at. */
  revision: number;
  /** The last key of the previous page; the next page starts after it. */
  after: string;
}

const VERSION = 1;

export function encodeContinue(point: ContinuePoint): string {
  return Buffer.from(JSON.stringify({ v: VERSION, r: point.revision, a: point.after })).toString("base64url");
}

/** Decodes a token and checks it belongs to a list of `prefix`; throws InvalidContinue otherwise. */
export function decodeContinue(token: string, prefix: string): ContinuePoint {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
  } catch {
    throw storageErrors.invalidContinue("not a token this store issued");
  }
  if (typeof parsed !== "object" || parsed === null) throw storageErrors.invalidContinue("not a token this store issued");
  const { v, r, a } = parsed as Record<string, unknown>;
  if (v !== VERSION) throw storageErrors.invalidContinue(`unknown token version ${String(v)}`);
  if (typeof r !== "number" || !Number.isSafeInteger(r) || r <= 0) throw storageErrors.invalidContinue("bad revision");
  if (typeof a !== "string" || !a.startsWith(prefix)) throw storageErrors.invalidContinue(`token is not for prefix ${prefix}`);
  return { revision: r, after: a };
}
