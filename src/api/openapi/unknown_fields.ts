// Strict field validation as Kubernetes does it (fieldValidation=Strict|Warn): fields an object carries that its
// schema does not declare, and keys repeated within one JSON object. Paths are written the way Kubernetes reports
// them: `unknown field "spec.template.spec.containers[0].imagePullPolice"`.
import { derefSchema, type OpenAPISchema, type SchemaResolver } from "../../machinery/openapi_schema.js";

/** Paths of the fields of `obj` that schema `schema` (a name such as "io.k8s.api.apps.v1.Deployment" or a $ref)
 *  does not know, in document order. Values whose type disagrees with the schema are left to validation. */
export function findUnknownFields(obj: unknown, schema: string, resolver: SchemaResolver): string[] {
  const root = resolver.resolve(schema);
  if (!root) throw new Error(`findUnknownFields: no schema named ${schema}`);
  const out: string[] = [];
  walk(obj, root, { resolver, out, path: [] });
  return out;
}

interface Walk {
  resolver: SchemaResolver;
  out: string[];
  /** The keys and list indexes leading to the value being walked; a path string is built only for an unknown field. */
  path: (string | number)[];
}

function pathString(path: (string | number)[]): string {
  let s = "";
  for (const p of path) s = typeof p === "number" ? `${s}[${p}]` : s === "" ? p : `${s}.${p}`;
  return s;
}

function walk(value: unknown, schema: OpenAPISchema | undefined, w: Walk): void {
  if (value === null || typeof value !== "object") return;
  const s = derefSchema(schema, w.resolver);
  if (!s || s["x-kubernetes-preserve-unknown-fields"]) return;
  const path = w.path;
  if (Array.isArray(value)) {
    if (!s.items) return;
    for (let i = 0; i < value.length; i++) {
      path.push(i);
      walk(value[i], s.items, w);
      path.pop();
    }
    return;
  }
  const props = s.properties;
  const additional = typeof s.additionalProperties === "object" ? s.additionalProperties : undefined;
  // An object schema declaring neither properties nor a value schema (RawExtension, FieldsV1, JSON) holds any JSON.
  if (!props && !additional) return;
  // for-in, not Object.keys: no key array per object. Request bodies are JSON.parse output (plain objects, whose
  // prototype has no enumerable properties), so for-in sees exactly their own keys, in the same order.
  for (const key in value) {
    const known = props?.[key];
    const v = (value as Record<string, unknown>)[key];
    if (known || additional) {
      // Scalars need no walk: only objects and lists can hold unknown fields.
      if (v === null || typeof v !== "object") continue;
      path.push(key);
      walk(v, known ?? additional, w);
      path.pop();
    } else if (s.additionalProperties !== true) {
      path.push(key);
      w.out.push(pathString(path));
      path.pop();
    }
  }
}

/** Paths of keys that occur more than once in the same JSON object of `jsonText` (JSON.parse silently keeps the
 *  last one). Returns [] for text that is not valid JSON; parsing reports that. */
export function findDuplicateFields(jsonText: string): string[] {
  const out: string[] = [];
  try {
    new DuplicateScanner(jsonText, out).document();
  } catch (err) {
    if (err instanceof SyntaxError) return [];
    throw err;
  }
  return out;
}

const SCALAR = /true|false|null|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

class DuplicateScanner {
  private i = 0;
  constructor(private readonly text: string, private readonly out: string[]) {}

  document(): void {
    this.value("");
    this.ws();
    if (this.i !== this.text.length) throw new SyntaxError("trailing characters");
  }

  private value(path: string): void {
    this.ws();
    const c = this.text[this.i];
    if (c === "{") this.object(path);
    else if (c === "[") this.array(path);
    else if (c === '"') this.string();
    else this.scalar();
  }

  private object(path: string): void {
    this.i++; // {
    const seen = new Set<string>();
    this.ws();
    if (this.text[this.i] === "}") { this.i++; return; }
    for (;;) {
      this.ws();
      if (this.text[this.i] !== '"') throw new SyntaxError("expected key");
      const key = this.string();
      const child = path === "" ? key : `${path}.${key}`;
      if (seen.has(key)) this.out.push(child);
      seen.add(key);
      this.ws();
      if (this.text[this.i++] !== ":") throw new SyntaxError("expected colon");
      this.value(child);
      this.ws();
      const sep = this.text[this.i++];
      if (sep === "}") return;
      if (sep !== ",") throw new SyntaxError("expected comma");
    }
  }

  private array(path: string): void {
    this.i++; // [
    this.ws();
    if (this.text[this.i] === "]") { this.i++; return; }
    for (let n = 0; ; n++) {
      this.value(`${path}[${n}]`);
      this.ws();
      const sep = this.text[this.i++];
      if (sep === "]") return;
      if (sep !== ",") throw new SyntaxError("expected comma");
    }
  }

  /** Reads a string token and returns its decoded value (JSON.parse does the escapes). */
  private string(): string {
    const start = this.i++;
    while (this.i < this.text.length && this.text[this.i] !== '"') this.i += this.text[this.i] === "\\" ? 2 : 1;
    if (this.i >= this.text.length) throw new SyntaxError("unterminated string");
    this.i++;
    return JSON.parse(this.text.slice(start, this.i)) as string;
  }

  private scalar(): void {
    SCALAR.lastIndex = this.i;
    const m = SCALAR.exec(this.text);
    if (!m) throw new SyntaxError("unexpected token");
    this.i += m[0].length;
  }

  private ws(): void {
    while (this.i < this.text.length && " \t\n\r".includes(this.text[this.i]!)) this.i++;
  }
}
