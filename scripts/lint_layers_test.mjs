import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkLayers } from "./lint_layers.mjs";

function tree(files) {
  const root = mkdtempSync(join(tmpdir(), "k8ts-lint-"));
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(join(root, p, ".."), { recursive: true });
    writeFileSync(join(root, p), text);
  }
  return root;
}

test("an import from controller/ into storage/ is a layer violation", () => {
  const root = tree({
    "storage/types.ts": "export type X = 1;\n",
    "controller/rs.ts": 'import type { X } from "../storage/types.js";\nexport const y: X = 1;\n',
  });
  try {
    const problems = checkLayers(root);
    assert.equal(problems.length, 1);
    assert.match(problems[0], /controller\/ may not import storage\//);
    assert.match(problems[0], /rs\.ts:1/);
  } finally {
    rmSync(root, { recursive: true });
  }
});

test("downward imports, dynamic imports from cli/ and bottom-layer imports pass", () => {
  const root = tree({
    "util/log.ts": "export const a = 1;\n",
    "client/rest.ts": 'import { a } from "../util/log.js";\nexport const b = a;\n',
    "controller/rs.ts": 'import { b } from "../client/rest.js";\nexport const c = b;\n',
    "cli/main.ts": 'export const d = import("../storage/x.js");\nimport "../controller/rs.js";\n',
    "registry/store.ts": 'export { a } from "../util/log.js";\n',
  });
  try {
    assert.deepEqual(checkLayers(root), []);
  } finally {
    rmSync(root, { recursive: true });
  }
});

test("an upward import from storage/ into apiserver/ is caught, also as a re-export", () => {
  const root = tree({ "storage/s.ts": 'export * from "../apiserver/server.js";\n' });
  try {
    const problems = checkLayers(root);
    assert.equal(problems.length, 1);
    assert.match(problems[0], /storage\/ may not import apiserver\//);
  } finally {
    rmSync(root, { recursive: true });
  }
});

test("a component's test may start a server through daemons/, its code may not", () => {
  const root = tree({
    "daemons/server.ts": "export const start = 1;\n",
    "controller/rs_test.ts": 'import { start } from "../daemons/server.js";\nexport const t = start;\n',
    "controller/rs.ts": 'import { start } from "../daemons/server.js";\nexport const u = start;\n',
    "controller/rs2_test.ts": 'import type { X } from "../storage/types.js";\n',
  });
  try {
    const problems = checkLayers(root);
    assert.equal(problems.length, 2, problems.join("\n"));
    assert.match(problems[0], /controller\/rs\.ts:1: controller\/ may not import daemons\//);
    assert.match(problems[1], /controller\/rs2_test\.ts:1: controller\/ may not import storage\//);
  } finally {
    rmSync(root, { recursive: true });
  }
});
