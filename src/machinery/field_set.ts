// Sets of field paths as server-side apply tracks them in metadata.managedFields, and their FieldsV1 encoding.
// A path is a list of path elements, each already in FieldsV1 spelling:
//   "f:<field>"            a struct field or map key
//   "k:{"name":"x"}"       an item of an associative list, by its key fields (sorted by name)
//   "v:<json>"             an item of a set list, by value
//   "i:<n>"                a list item by index (atomic lists never reach this far; kept for completeness)
// FieldsV1 nests elements as JSON objects; a leaf `{}` is a member, and "." marks a node that is a member and
// also has members below it.

export type PathElement = string;
export type FieldPath = PathElement[];

export class FieldSet {
  private readonly members = new Set<PathElement>();
  private readonly children = new Map<PathElement, FieldSet>();

  static fromPaths(paths: FieldPath[]): FieldSet {
    const s = new FieldSet();
    for (const p of paths) s.insert(p);
    return s;
  }

  insert(path: FieldPath): void {
    if (path.length === 0) return;
    let cur: FieldSet = this;
    for (let i = 0; i < path.length - 1; i++) cur = cur.child(path[i]!, true)!;
    cur.members.add(path[path.length - 1]!);
  }

  private child(pe: PathElement, create: boolean): FieldSet | undefined {
    let c = this.children.get(pe);
    if (!c && create) {
      c = new FieldSet();
      this.children.set(pe, c);
    }
    return c;
  }

  /** Is `path` itself a member? */
  has(path: FieldPath): boolean {
    if (path.length === 0) return false;
    let cur: FieldSet | undefined = this;
    for (let i = 0; i < path.length - 1 && cur; i++) cur = cur.children.get(path[i]!);
    return !!cur && cur.members.has(path[path.length - 1]!);
  }

  /** Is `path` or anything below it a member? */
  hasWithin(path: FieldPath): boolean {
    if (this.has(path)) return true;
    let cur: FieldSet | undefined = this;
    for (const pe of path) {
      cur = cur.children.get(pe);
      if (!cur) return false;
    }
    return !cur.empty();
  }

  empty(): boolean {
    if (this.members.size > 0) return false;
    for (const c of this.children.values()) if (!c.empty()) return false;
    return true;
  }

  /** Every member path, in FieldsV1 order. */
  paths(): FieldPath[] {
    const out: FieldPath[] = [];
    const walk = (s: FieldSet, prefix: FieldPath) => {
      for (const pe of sortElements(new Set([...s.members, ...s.children.keys()]))) {
        if (s.members.has(pe)) out.push([...prefix, pe]);
        const c = s.children.get(pe);
        if (c) walk(c, [...prefix, pe]);
      }
    };
    walk(this, []);
    return out;
  }

  // Set operations walk the two trees node by node (no path lists, no sorting). A child node with no member below it
  // is never created, as building the result from its member paths would not create one.
  union(other: FieldSet): FieldSet {
    const out = new FieldSet();
    out.addAll(this);
    out.addAll(other);
    return out;
  }
  difference(other: FieldSet): FieldSet {
    return FieldSet.combine(this, other, false);
  }
  intersection(other: FieldSet): FieldSet {
    return FieldSet.combine(this, other, true);
  }
  equals(other: FieldSet): boolean {
    if (this.members.size !== other.members.size) return false;
    for (const m of this.members) if (!other.members.has(m)) return false;
    for (const [pe, c] of this.children) if (!c.empty() && !c.equals(other.children.get(pe) ?? EMPTY)) return false;
    for (const [pe, c] of other.children) if (!c.empty() && !this.children.get(pe)?.equals(c)) return false;
    return true;
  }

  private addAll(src: FieldSet): void {
    for (const m of src.members) this.members.add(m);
    for (const [pe, c] of src.children) if (!c.empty()) this.child(pe, true)!.addAll(c);
  }

  /** The members of a that are (keep = true) or are not (keep = false) members of b at the same place. */
  private static combine(a: FieldSet, b: FieldSet | undefined, keep: boolean): FieldSet {
    const out = new FieldSet();
    for (const m of a.members) if ((b?.members.has(m) ?? false) === keep) out.members.add(m);
    for (const [pe, c] of a.children) {
      const bc = b?.children.get(pe);
      if (keep && !bc) continue;
      const sub = FieldSet.combine(c, bc, keep);
      if (!sub.empty()) out.children.set(pe, sub);
    }
    return out;
  }

  /** The FieldsV1 JSON object. */
  toFieldsV1(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const pe of sortElements(new Set([...this.members, ...this.children.keys()]))) {
      const c = this.children.get(pe);
      if (c && !c.empty()) {
        const inner = c.toFieldsV1();
        out[pe] = this.members.has(pe) ? { ".": {}, ...inner } : inner;
      } else if (this.members.has(pe)) {
        out[pe] = {};
      }
    }
    return out;
  }

  static fromFieldsV1(v: unknown): FieldSet {
    const s = new FieldSet();
    const walk = (node: unknown, into: FieldSet) => {
      if (typeof node !== "object" || node === null || Array.isArray(node)) return;
      for (const [pe, sub] of Object.entries(node)) {
        if (pe === ".") continue;
        const isObj = typeof sub === "object" && sub !== null && !Array.isArray(sub);
        const keys = isObj ? Object.keys(sub) : [];
        if (keys.length === 0 || keys.includes(".")) into.members.add(pe);
        if (keys.some((k) => k !== ".")) walk(sub, into.child(pe, true)!);
      }
    };
    walk(v, s);
    return s;
  }
}

const EMPTY = new FieldSet();

/** FieldsV1 order: fields, then keyed items, then values, then indices; each group in Kubernetes' order. */
function sortElements(pes: Set<PathElement>): PathElement[] {
  const rank = (pe: string) => ({ f: 0, k: 1, v: 2, i: 3 })[pe[0] as "f" | "k" | "v" | "i"] ?? 4;
  return [...pes].sort((a, b) => rank(a) - rank(b) || compareElement(a, b));
}

function compareElement(a: PathElement, b: PathElement): number {
  switch (a[0]) {
    case "k": {
      // Key field lists compare field by field: name, then value.
      const ka = Object.entries(JSON.parse(a.slice(2)) as Record<string, unknown>).sort(([x], [y]) => compareStrings(x, y));
      const kb = Object.entries(JSON.parse(b.slice(2)) as Record<string, unknown>).sort(([x], [y]) => compareStrings(x, y));
      for (let i = 0; ; i++) {
        if (i >= ka.length || i >= kb.length) return ka.length - kb.length;
        const c = compareStrings(ka[i]![0], kb[i]![0]) || compareValues(ka[i]![1], kb[i]![1]);
        if (c !== 0) return c;
      }
    }
    case "v":
      return compareValues(JSON.parse(a.slice(2)), JSON.parse(b.slice(2)));
    case "i":
      return Number(a.slice(2)) - Number(b.slice(2));
    default:
      return compareStrings(a, b);
  }
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Values order by type (null, booleans, numbers, strings, others), then naturally within a type. */
function compareValues(a: unknown, b: unknown): number {
  const rank = (v: unknown) => (v === null ? 0 : typeof v === "boolean" ? 1 : typeof v === "number" ? 2 : typeof v === "string" ? 3 : 4);
  const r = rank(a) - rank(b);
  if (r !== 0) return r;
  if (typeof a === "number" && typeof b === "number") return a - b;
  if (typeof a === "boolean" && typeof b === "boolean") return Number(a) - Number(b);
  if (typeof a === "string" && typeof b === "string") return compareStrings(a, b);
  return compareStrings(JSON.stringify(a), JSON.stringify(b));
}

/** The human spelling Kubernetes uses in conflict messages: .spec.containers[name="app"].image */
export function pathString(path: FieldPath): string {
  return path
    .map((pe) => {
      const body = pe.slice(2);
      switch (pe[0]) {
        case "f":
          return `.${body}`;
        case "k": {
          const key = JSON.parse(body) as Record<string, unknown>;
          return `[${Object.keys(key)
            .sort()
            .map((k) => `${k}=${JSON.stringify(key[k])}`)
            .join(",")}]`;
        }
        case "v":
          return `[=${body}]`;
        default:
          return `[${body}]`;
      }
    })
    .join("");
}
