// For tests: the k8ts command run from source through tsx (dist/ may be stale while the tree changes).
import { fileURLToPath } from "node:url";

export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));

export function tsxK8ts(): string[] {
  const main = fileURLToPath(new URL("../cli/main.ts", import.meta.url));
  const code = `import(${JSON.stringify(main)}).then((m) => m.main(process.argv.slice(1))).then((c) => { process.exitCode = c; }, (e) => { console.error(e); process.exitCode = 1; })`;
  return [process.execPath, "--import", "tsx", "-e", code];
}
