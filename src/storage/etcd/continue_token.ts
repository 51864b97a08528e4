// Continue tokens of paged lists: the key the next page starts at and the revision the first page was read at,
// so every page of one list shows the same snapshot. Opaque to clients (base64url of a small JSON object).
import { storageErrors } from "../errors.js";

export interface ContinuePoint {
  /** The first key of the next page (not yet listed). */
  start: string;
  /** The revision every page of this list is read at. */
  revision: number;
}

export function encodeContinue(point: ContinuePoint): string {
  return Buffer.from(JSON.stringify({ v: 1, s: point.start, r: point.revision })).toString("base64url");
}

/** Decodes a token and checks it belongs to a list of `prefix`. */
export function decodeContinue(token: string, prefix: string): ContinuePoint {
  if (!/^[A-Za-z0-9_-]+$/.test(token)) throw storageErrors.invalidContinue("not base64url");
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
  } catch {
    throw storageErrors.invalidContinue("not a token this store issued");
  }
  if (typeof parsed !== "object" || parsed === null) throw storageErrors.invalidContinue("not a token this store issued");
  const { v, s, r } = parsed as { v?: unknown; s?: unknown; r?: unknown };
  if (v !== 1 || typeof s !== "string" || typeof r !== "number") throw storageErrors.invalidContinue("not a token this store issued");
  if (!Number.isSafeInteger(r) || r <= 0) throw storageErrors.invalidContinue(`bad revision ${String(r)}`);
  if (!s.startsWith(prefix)) throw storageErrors.invalidContinue(`token continues ${JSON.stringify(s)}, which is outside the prefix ${JSON.stringify(prefix)}`);
  return { start: s, revision: r };
}
