// Deep freezing for objects shared between readers (caches): a mutation then throws in strict-mode code instead of
// silently corrupting what every other reader sees.
export function deepFreeze<T>(v: T): T {
  if (typeof v === "object" && v !== null && !Object.isFrozen(v)) freezeTree(v);
  return v;
}

// Arrays by index and objects by for-in over own keys: no array of keys per object and no call per primitive (every
// cached object passes through here, so this is on hot paths).
function freezeTree(o: object): void {
  Object.freeze(o);
  if (Array.isArray(o)) {
    for (let i = 0; i < o.length; i++) {
      const x: unknown = o[i];
      if (typeof x === "object" && x !== null && !Object.isFrozen(x)) freezeTree(x);
    }
    return;
  }
  for (const k in o) {
    if (!Object.hasOwn(o, k)) continue;
    const x = (o as Record<string, unknown>)[k];
    if (typeof x === "object" && x !== null && !Object.isFrozen(x)) freezeTree(x);
  }
}
