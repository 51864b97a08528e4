// For tests: how to run the k8ts command. From source (src/*.ts under tsx) main.ts runs through tsx, since dist/ may
// be stale while the tree changes; from the build (dist/*.js, as scripts/test.sh runs) the built main.js runs.
import { fileURLToPath } from "node:url";

export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));

export function tsxK8ts(): string[] {
  const fromSource = import.meta.url.endsWith(".ts");
  const main = fileURLToPath(new URL(fromSource ? "../cli/main.ts" : "../cli/main.js", import.meta.url));
  const code = `import(${JSON.stringify(main)}).then((m) => m.main(process.argv.slice(1))).then((c) => { process.exitCode = c; }, (e) => { console.error(e); process.exitCode = 1; })`;
  return [process.execPath, ...(fromSource ? ["--import", "tsx"] : []), "--input-type=module", "-e", code];
}
