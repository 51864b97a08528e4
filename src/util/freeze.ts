// Deep freezing for objects shared between readers (caches): a mutation then throws in strict-mode code instead of
// silently corrupting what every other reader sees.
export function deepFreeze<T>(v: T): T {
  if (v !== null && typeof v === "object" && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const k of Object.keys(v as object)) deepFreeze((v as Record<string, unknown>)[k]);
  }
  return v;
}
