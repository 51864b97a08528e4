#!/usr/bin/env node
// Enforces the import layers of DESIGN.md: imports only point down. Run with a source root (default src/);
// prints each violation and exits 1 when there is any.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve, dirname, sep } from "node:path";
import { fileURLToPath } from "node:url";

const BOTTOM = ["api", "machinery", "util"];
const COMPONENTS = ["controller", "scheduler", "kubelet", "proxy", "network", "dns", "ingress", "metrics", "dashboard", "federation", "logging"];

/** For each top-level folder of src/, the folders it may import from (besides itself). */
export const LAYERS = {
  api: BOTTOM,
  machinery: BOTTOM,
  util: BOTTOM,
  client: BOTTOM,
  storage: BOTTOM,
  registry: ["storage", ...BOTTOM],
  apiserver: ["registry", "storage", ...BOTTOM],
  ...Object.fromEntries(COMPONENTS.map((c) => [c, ["client", ...BOTTOM]])),
  cli: "*",
  daemons: "*",
  cluster: "*",
  // End-to-end tests drive whole processes the way users do.
  e2e: "*",
};

function* walk(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* walk(p);
    else if (/\.(ts|mts|js|mjs)$/.test(name) && !name.endsWith(".d.ts")) yield p;
  }
}

const IMPORT_RE = /(?:^|[^\w$.])(?:import|export)\s[^'"]*?from\s*["']([^"']+)["']|(?:^|[^\w$.])import\s*\(\s*["']([^"']+)["']\s*\)|(?:^|[^\w$.])import\s+["']([^"']+)["']/gm;

export function checkLayers(root) {
  const problems = [];
  const top = (file) => relative(root, file).split(sep)[0];
  for (const file of walk(root)) {
    const from = top(file);
    if (from.includes(".")) continue; // files directly in src/
    const rule = LAYERS[from];
    if (rule === undefined) {
      problems.push(`${relative(root, file)}: folder ${from}/ is not a known layer (add it to scripts/lint_layers.mjs)`);
      continue;
    }
    if (rule === "*") continue;
    // Integration tests of a component may start a whole server in-process through daemons/, the way a user
    // would run it; production code may not.
    const allowed = /_test\.(ts|mts|js|mjs)$/.test(file) ? [...rule, "daemons"] : rule;
    const text = readFileSync(file, "utf8");
    for (const m of text.matchAll(IMPORT_RE)) {
      const spec = m[1] ?? m[2] ?? m[3];
      if (!spec.startsWith(".")) continue;
      const target = resolve(dirname(file), spec);
      const rel = relative(root, target);
      if (rel.startsWith("..")) {
        problems.push(`${relative(root, file)}: imports ${spec}, outside the source root`);
        continue;
      }
      const to = rel.split(sep)[0];
      if (to !== from && !allowed.includes(to)) {
        const line = text.slice(0, m.index).split("\n").length;
        problems.push(`${relative(root, file)}:${line}: ${from}/ may not import ${to}/ (${spec}); allowed: ${allowed.join(", ")}`);
      }
    }
  }
  return problems;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), "..", "src"));
  const problems = checkLayers(root);
  for (const p of problems) process.stderr.write(`layer violation: ${p}\n`);
  if (problems.length) process.exit(1);
  process.stdout.write(`layers ok (${root})\n`);
}
