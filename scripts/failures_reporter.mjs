// A node:test reporter that stays quiet while the suite runs and, at the end, names every test that failed with
// its file and error, so that the last lines of a long TAP log say what went wrong.
export default async function* failuresReporter(source) {
  const failures = [];
  for await (const event of source) {
    if (event.type !== "test:fail") continue;
    const { name, file, details, nesting } = event.data;
    // A failing subtest also fails its suite; the innermost failure carries the useful error.
    const error = details?.error;
    if (error?.failureType === "subtestsFailed") continue;
    failures.push({ name, file, nesting, error });
  }
  if (failures.length === 0) return;
  yield `\n# ${failures.length} failing test(s):\n`;
  for (const { name, file, error } of failures) {
    yield `# FAILED ${file ?? "?"} :: ${name}\n`;
    const cause = error?.cause ?? error;
    const text = String(cause?.stack ?? cause?.message ?? cause ?? "").split("\n").slice(0, 12);
    for (const line of text) yield `#   ${line}\n`;
  }
}
