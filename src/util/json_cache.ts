// JSON text of shared, frozen objects, computed once. The watch cache freezes what it holds and serves the same
// object to every list and every watcher; serializing it once instead of once per reader is most of the cost of a
// large list or a wide watch fan-out.
const memo = new WeakMap<object, string>();

/** JSON.stringify(v), memoized for frozen objects (which cannot change, so their text cannot either). */
export function jsonOf(v: unknown): string {
  if (v === null || typeof v !== "object" || !Object.isFrozen(v)) return JSON.stringify(v);
  let s = memo.get(v);
  if (s === undefined) {
    s = JSON.stringify(v);
    memo.set(v, s);
  }
  return s;
}

/** Records the text of a frozen object whose JSON.stringify is already known (it must be exactly that text), so the
 *  first reader does not compute it again. */
export function rememberJson(v: object, text: string): void {
  if (Object.isFrozen(v)) memo.set(v, text);
}

/** The JSON text of an object with an `items` array, each item through jsonOf; same text as JSON.stringify. */
export function listJsonOf(list: { items: unknown[]; [field: string]: unknown }): string {
  const { items, ...rest } = list;
  const head = JSON.stringify({ ...rest, items: [] });
  // head ends with `"items":[]}` because items was placed last.
  return `${head.slice(0, -2)}${items.map(jsonOf).join(",")}]}`;
}
