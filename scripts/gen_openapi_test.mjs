import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { generateSchemas, packageFor } from "./gen_openapi.mjs";

const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), "gen_openapi.mjs");

test("the generator writes every schema quickly and deterministically", () => {
  const dir = mkdtempSync(join(tmpdir(), "k8ts-gen-openapi-"));
  try {
    const started = Date.now();
    execFileSync(process.execPath, [SCRIPT, join(dir, "a.json")], { stdio: "ignore" });
    const ms = Date.now() - started;
    assert.ok(ms < 15_000, `took ${ms} ms`);
    execFileSync(process.execPath, [SCRIPT, join(dir, "b.json")], { stdio: "ignore" });
    const a = readFileSync(join(dir, "a.json"), "utf8");
    assert.equal(a, readFileSync(join(dir, "b.json"), "utf8"));
    const schemas = JSON.parse(a);
    assert.deepEqual(schemas["io.k8s.api.apps.v1.Deployment"]["x-kubernetes-group-version-kind"], [{ group: "apps", version: "v1", kind: "Deployment" }]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("kubernetes-types modules map to Kubernetes' Go packages", () => {
  assert.equal(packageFor("core/v1"), "io.k8s.api.core.v1");
  assert.equal(packageFor("apps/v1"), "io.k8s.api.apps.v1");
  assert.equal(packageFor("meta/v1"), "io.k8s.apimachinery.pkg.apis.meta.v1");
  assert.equal(packageFor("api/resource"), "io.k8s.apimachinery.pkg.api.resource");
  assert.equal(packageFor("runtime"), "io.k8s.apimachinery.pkg.runtime");
  assert.equal(packageFor("apiextensions/v1"), "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1");
});

test("declarations become schemas: docs, required, refs wrapped with descriptions, arrays, maps, int-or-string", () => {
  const dir = mkdtempSync(join(tmpdir(), "k8ts-gen-openapi-fixture-"));
  try {
    mkdirSync(join(dir, "meta"));
    mkdirSync(join(dir, "widgets"));
    writeFileSync(join(dir, "meta", "v1.d.ts"), [
      "/** ObjectMeta is metadata. */",
      "export interface ObjectMeta {",
      "    /** Name of it. */",
      "    name?: string;",
      "    generation?: number;",
      "}",
    ].join("\n"));
    writeFileSync(join(dir, "widgets", "v1.d.ts"), [
      'import { ObjectMeta } from "../meta/v1";',
      "/**",
      " * Widget is a thing.",
      " *",
      " * It has paragraphs.",
      " */",
      "export interface Widget {",
      '    apiVersion?: "widgets.example.com/v1";',
      '    kind?: "Widget";',
      "    /** Standard metadata. */",
      "    metadata?: ObjectMeta;",
      "    parts: Array<Part>;",
      "    labels?: {",
      "        [name: string]: string;",
      "    };",
      "    port?: number | string;",
      "}",
      "/** Part of a widget. */",
      "export interface Part {",
      "    /** Size in bytes. */",
      "    size: number;",
      "    owner?: ObjectMeta;",
      "}",
    ].join("\n"));
    const s = generateSchemas({ typesDir: dir, patchMeta: false });
    const w = s["io.k8s.api.widgets.v1.Widget"];
    assert.equal(w.description, "Widget is a thing.\n\nIt has paragraphs.");
    assert.deepEqual(w["x-kubernetes-group-version-kind"], [{ group: "widgets.example.com", version: "v1", kind: "Widget" }]);
    assert.deepEqual(w.required, ["parts"]);
    assert.deepEqual(w.properties.metadata, { description: "Standard metadata.", allOf: [{ $ref: "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta" }] });
    assert.deepEqual(w.properties.parts, { type: "array", items: { $ref: "#/components/schemas/io.k8s.api.widgets.v1.Part" } });
    assert.deepEqual(w.properties.labels, { type: "object", additionalProperties: { type: "string" } });
    assert.deepEqual(w.properties.port, { $ref: "#/components/schemas/io.k8s.apimachinery.pkg.util.intstr.IntOrString" });
    assert.deepEqual(s["io.k8s.api.widgets.v1.Part"].properties.size, { description: "Size in bytes.", type: "integer", format: "int32" });
    assert.deepEqual(s["io.k8s.api.widgets.v1.Part"].properties.owner, { $ref: "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta" });
    assert.equal(s["io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"].properties.generation.format, "int64");
    assert.equal(s["io.k8s.apimachinery.pkg.util.intstr.IntOrString"].format, "int-or-string");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
