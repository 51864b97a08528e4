#!/usr/bin/env node
// Generates OpenAPI v3 component schemas for every Kubernetes API type from the `kubernetes-types` declarations
// (their doc comments are Kubernetes' own field documentation), named as Kubernetes names them
// (io.k8s.api.core.v1.PodSpec, io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta, ...), and writes them to
// generated/openapi_schemas.json. Runs at build time (scripts/install_deps.sh) and on demand from
// src/api/openapi/schemas.ts when the file is missing.
//
// Only the syntax of the .d.ts files is read (no type checker), which keeps a run well under a second.
// The declarations carry no strategic-merge or apply markers and do not distinguish int32 from int64; those
// facts come from the hand-written tables in openapi_patch_meta.mjs.
import { readFileSync, readdirSync, statSync, writeFileSync, mkdirSync, renameSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { createRequire } from "node:module";
import { FIELD_META, TYPE_META, INT64_FIELDS, INT32_EXCEPTIONS, DOUBLE_FIELDS } from "./openapi_patch_meta.mjs";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(join(ROOT, "package.json"));
const ts = require("typescript");

export const REF_PREFIX = "#/components/schemas/";
const INT_OR_STRING = "io.k8s.apimachinery.pkg.util.intstr.IntOrString";

/** kubernetes-types module path ("core/v1", "meta/v1", "api/resource", "runtime") -> Go package as Kubernetes
 *  names it in OpenAPI. */
export function packageFor(module) {
  switch (module) {
    case "meta/v1": return "io.k8s.apimachinery.pkg.apis.meta.v1";
    case "api/resource": return "io.k8s.apimachinery.pkg.api.resource";
    case "runtime": return "io.k8s.apimachinery.pkg.runtime";
    case "version": return "io.k8s.apimachinery.pkg.version";
  }
  const [folder, version] = module.split("/");
  if (folder === "apiextensions") return `io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.${version}`;
  if (!version) throw new Error(`gen_openapi: no Go package known for kubernetes-types module "${module}"`);
  return `io.k8s.api.${folder}.${version}`;
}

function* declarationFiles(dir) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (name === "node_modules") continue;
    if (statSync(p).isDirectory()) yield* declarationFiles(p);
    else if (name.endsWith(".d.ts")) yield p;
  }
}

/** The text of the JSDoc block right before a node, without the comment markers, lines kept as Kubernetes has them. */
function docOf(node, text) {
  const ranges = ts.getLeadingCommentRanges(text, node.pos) ?? [];
  const jsdoc = ranges.filter((r) => text.startsWith("/**", r.pos)).pop();
  if (!jsdoc) return undefined;
  const body = text.slice(jsdoc.pos + 3, jsdoc.end - 2);
  const lines = body.split("\n").map((l) => l.replace(/^\s*\* ?/, ""));
  const joined = lines.join("\n").trim();
  return joined.length > 0 ? joined : undefined;
}

function memberName(m) {
  const n = m.name;
  if (ts.isIdentifier(n) || ts.isStringLiteral(n)) return n.text;
  throw new Error(`gen_openapi: unsupported member name kind ${ts.SyntaxKind[n.kind]}`);
}

function literalString(typeNode) {
  if (typeNode && ts.isLiteralTypeNode(typeNode) && ts.isStringLiteral(typeNode.literal)) return typeNode.literal.text;
  return undefined;
}

function splitApiVersion(apiVersion) {
  const i = apiVersion.indexOf("/");
  return i < 0 ? { group: "", version: apiVersion } : { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1) };
}

/** Converts a declaration type to a schema. `resolveName` maps an identifier to its full schema name. */
function typeSchema(node, resolveName, where) {
  switch (node.kind) {
    case ts.SyntaxKind.StringKeyword: return { type: "string" };
    case ts.SyntaxKind.NumberKeyword: return { type: "integer", format: "int32" };
    case ts.SyntaxKind.BooleanKeyword: return { type: "boolean" };
    case ts.SyntaxKind.AnyKeyword:
    case ts.SyntaxKind.UnknownKeyword: return {};
  }
  if (ts.isLiteralTypeNode(node)) {
    if (ts.isStringLiteral(node.literal)) return { type: "string" };
    if (node.literal.kind === ts.SyntaxKind.TrueKeyword || node.literal.kind === ts.SyntaxKind.FalseKeyword) return { type: "boolean" };
    if (ts.isNumericLiteral(node.literal)) return { type: "integer", format: "int32" };
  }
  if (ts.isParenthesizedTypeNode(node)) return typeSchema(node.type, resolveName, where);
  if (ts.isArrayTypeNode(node)) return { type: "array", items: typeSchema(node.elementType, resolveName, where) };
  if (ts.isTypeReferenceNode(node)) {
    const name = node.typeName.getText();
    if (name === "Array" && node.typeArguments?.length === 1) {
      return { type: "array", items: typeSchema(node.typeArguments[0], resolveName, where) };
    }
    return { $ref: REF_PREFIX + resolveName(name, where) };
  }
  if (ts.isUnionTypeNode(node)) {
    const kinds = new Set(node.types.map((t) => t.kind));
    if (node.types.length === 2 && kinds.has(ts.SyntaxKind.NumberKeyword) && kinds.has(ts.SyntaxKind.StringKeyword)) {
      return { $ref: REF_PREFIX + INT_OR_STRING };
    }
    // Unions of schema-or-bool style (JSONSchemaPropsOrBool ...): any JSON value, as Kubernetes publishes them.
    return {};
  }
  if (ts.isTypeLiteralNode(node)) {
    const index = node.members.find(ts.isIndexSignatureDeclaration);
    if (index && node.members.length === 1) {
      return { type: "object", additionalProperties: typeSchema(index.type, resolveName, where) };
    }
    throw new Error(`gen_openapi: inline object types with named members are not supported (${where})`);
  }
  throw new Error(`gen_openapi: unsupported type syntax ${ts.SyntaxKind[node.kind]} at ${where}`);
}

/** Applies the number-format table: Kubernetes publishes int64 and double where Go uses them. */
function numberFormat(schemaName, prop, schema) {
  const target = schema.type === "array" ? schema.items : schema;
  if (!target || target.type !== "integer") return;
  const key = `${schemaName}.${prop}`;
  if (DOUBLE_FIELDS.has(key)) { target.type = "number"; target.format = "double"; }
  else if (INT64_FIELDS.has(prop) && !INT32_EXCEPTIONS.has(key)) target.format = "int64";
}

/** Wraps a property's $ref the way Kubernetes does when a description sits beside it. */
function withDescription(schema, description) {
  if (!description) return schema;
  if (schema.$ref) return { description, allOf: [{ $ref: schema.$ref }] };
  return { description, ...schema };
}

function interfaceSchema(decl, fullName, description, resolveName) {
  const properties = {};
  const required = [];
  let apiVersionLit, kindLit, hasMetadata = false;
  for (const m of decl.members) {
    if (ts.isIndexSignatureDeclaration(m)) throw new Error(`gen_openapi: index signature on interface ${fullName}`);
    if (!ts.isPropertySignature(m) || !m.type) continue;
    const name = memberName(m);
    const where = `${fullName}.${name}`;
    const schema = typeSchema(m.type, resolveName, where);
    numberFormat(fullName, name, schema);
    properties[name] = withDescription(schema, docOf(m, decl.getSourceFile().text));
    if (!m.questionToken) required.push(name);
    if (name === "apiVersion") apiVersionLit = literalString(m.type);
    if (name === "kind") kindLit = literalString(m.type);
    if (name === "metadata") hasMetadata = true;
  }
  const out = {};
  if (description) out.description = description;
  out.type = "object";
  if (Object.keys(properties).length > 0) out.properties = properties;
  if (required.length > 0) out.required = required.sort();
  const gvk = apiVersionLit && kindLit ? { ...splitApiVersion(apiVersionLit), kind: kindLit } : undefined;
  return { schema: out, gvk, hasMetadata };
}

/** Schemas of the type aliases and of types the declarations inline (IntOrString). */
function aliasSchema(decl, fullName, description, resolveName) {
  const base = (() => {
    switch (fullName) {
      case "io.k8s.apimachinery.pkg.apis.meta.v1.Time":
      case "io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime":
        return { type: "string", format: "date-time" };
      // A quantity is written as a string ("500m", "1Gi") or a plain number. No `type`, as for IntOrString: a
      // value of either type is valid, and kubectl explain then names the type (<Quantity>) as it does for Kubernetes.
      case "io.k8s.apimachinery.pkg.api.resource.Quantity":
        return { "x-kubernetes-int-or-string": true };
    }
    return typeSchema(decl.type, resolveName, fullName);
  })();
  return description ? { description, ...base } : base;
}

const INT_OR_STRING_SCHEMA = {
  description:
    "IntOrString is a type that can hold an int32 or a string.  When used in JSON or YAML marshalling and unmarshalling, it produces or consumes the inner type.  This allows you to have, for example, a JSON field that can accept a name or number.",
  format: "int-or-string",
  "x-kubernetes-int-or-string": true,
};

/** Meta kinds that every group-version serves under its own apiVersion (Kubernetes lists each one). */
const PER_GROUP_VERSION_KINDS = ["io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions", "io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent"];
/** Meta kinds whose declarations type apiVersion/kind as plain strings but which Kubernetes serves as core v1. */
const CORE_V1_META_KINDS = ["io.k8s.apimachinery.pkg.apis.meta.v1.Status"];

function applyPatchMeta(schemas) {
  for (const [name, fields] of Object.entries(FIELD_META)) {
    const s = schemas[name];
    if (!s) throw new Error(`gen_openapi: openapi_patch_meta names unknown schema ${name}`);
    for (const [field, ext] of Object.entries(fields)) {
      const p = s.properties?.[field];
      if (!p) throw new Error(`gen_openapi: openapi_patch_meta names unknown field ${name}.${field}`);
      Object.assign(p, ext);
    }
  }
  for (const [name, ext] of Object.entries(TYPE_META)) {
    const s = schemas[name];
    if (!s) throw new Error(`gen_openapi: openapi_patch_meta names unknown schema ${name}`);
    Object.assign(s, ext);
  }
}

/** Reads every declaration file below `typesDir` and returns the schemas keyed by full name, sorted.
 *  `patchMeta: false` skips the hand-written extension table (for declaration fixtures in tests). */
export function generateSchemas({ typesDir = join(ROOT, "node_modules", "kubernetes-types"), patchMeta = true } = {}) {
  const schemas = { [INT_OR_STRING]: INT_OR_STRING_SCHEMA };
  const groupVersions = new Set();
  for (const file of declarationFiles(typesDir)) {
    const module = relative(typesDir, file).split(sep).join("/").replace(/\.d\.ts$/, "");
    const pkg = packageFor(module);
    const text = readFileSync(file, "utf8");
    const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
    const imported = new Map();
    for (const st of sf.statements) {
      if (!ts.isImportDeclaration(st) || !st.importClause?.namedBindings) continue;
      const spec = st.moduleSpecifier.text;
      const target = join(dirname(module), spec).split(sep).join("/");
      const bindings = st.importClause.namedBindings;
      if (!ts.isNamedImports(bindings)) continue;
      for (const el of bindings.elements) imported.set(el.name.text, packageFor(target) + "." + (el.propertyName ?? el.name).text);
    }
    const resolveName = (name, where) => {
      if (imported.has(name)) return imported.get(name);
      if (sf.statements.some((s) => (ts.isInterfaceDeclaration(s) || ts.isTypeAliasDeclaration(s)) && s.name.text === name)) return `${pkg}.${name}`;
      throw new Error(`gen_openapi: cannot resolve type ${name} at ${where}`);
    };
    for (const st of sf.statements) {
      if (!ts.isInterfaceDeclaration(st) && !ts.isTypeAliasDeclaration(st)) continue;
      const fullName = `${pkg}.${st.name.text}`;
      const description = docOf(st, text);
      if (ts.isTypeAliasDeclaration(st)) {
        schemas[fullName] = aliasSchema(st, fullName, description, resolveName);
        continue;
      }
      if (st.heritageClauses?.length) throw new Error(`gen_openapi: interface inheritance is not supported (${fullName})`);
      const { schema, gvk, hasMetadata } = interfaceSchema(st, fullName, description, resolveName);
      if (st.members.length === 0 && fullName === "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSON") delete schema.type;
      if (gvk) {
        schema["x-kubernetes-group-version-kind"] = [gvk];
        if (hasMetadata) groupVersions.add(`${gvk.group}/${gvk.version}`);
      }
      schemas[fullName] = schema;
    }
  }
  const gvs = [...groupVersions].sort().map((gv) => splitApiVersion(gv.startsWith("/") ? gv.slice(1) : gv));
  for (const name of PER_GROUP_VERSION_KINDS.filter((n) => schemas[n])) {
    const kind = name.slice(name.lastIndexOf(".") + 1);
    schemas[name]["x-kubernetes-group-version-kind"] = gvs.map((gv) => ({ group: gv.group, version: gv.version, kind }));
  }
  for (const name of CORE_V1_META_KINDS.filter((n) => schemas[n])) {
    const kind = name.slice(name.lastIndexOf(".") + 1);
    schemas[name]["x-kubernetes-group-version-kind"] = [{ group: "", version: "v1", kind }];
  }
  if (patchMeta) applyPatchMeta(schemas);
  return Object.fromEntries(Object.keys(schemas).sort().map((k) => [k, schemas[k]]));
}

export const OUTPUT = join(ROOT, "generated", "openapi_schemas.json");

/** Generates and writes the schemas atomically (a concurrent reader never sees half a file). */
export function writeSchemas(out = OUTPUT) {
  const schemas = generateSchemas();
  mkdirSync(dirname(out), { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(schemas) + "\n");
  renameSync(tmp, out);
  return Object.keys(schemas).length;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const started = Date.now();
  const n = writeSchemas(process.argv[2] ?? OUTPUT);
  process.stderr.write(`gen_openapi: ${n} schemas -> ${relative(process.cwd(), process.argv[2] ?? OUTPUT)} in ${Date.now() - started} ms\n`);
}
