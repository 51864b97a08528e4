import { test } from "node:test";
import assert from "node:assert/strict";
import { isConfigMapKey, isDNS1035Label, isDNS1123Label, isEnvVarName, isValidIP, isValidPortName, isValidPortNum, validateName } from "./names.js";
import { quantityValue } from "./quantity.js";
import { cronScheduleError, timeZoneError } from "./cron.js";
import { validateIntOrPercent } from "./intstr.js";
import { validateResourceRequirements } from "./resources.js";

test("DNS labels: RFC 1123 and RFC 1035", () => {
  assert.deepEqual(isDNS1123Label("my-name"), []);
  assert.deepEqual(isDNS1123Label("123-abc"), []);
  assert.equal(isDNS1123Label("My-Name").length, 1);
  assert.equal(isDNS1123Label("a".repeat(64)).length, 1);
  assert.deepEqual(isDNS1035Label("web"), []);
  assert.equal(isDNS1035Label("1web").length, 1);
  assert.match(isDNS1035Label("1web")[0]!, /^a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character/);
  const errs = validateName("Web", "metadata.name", "DNS1123Label");
  assert.equal(errs[0]!.field, "metadata.name");
  assert.equal(errs[0]!.value, "Web");
});

test("ports, port names, IPs, env var names, config keys", () => {
  assert.deepEqual(isValidPortNum(80), []);
  assert.deepEqual(isValidPortNum(0), ["must be between 1 and 65535, inclusive"]);
  assert.deepEqual(isValidPortName("http"), []);
  assert.ok(isValidPortName("http--x").includes("must not contain consecutive hyphens"));
  assert.ok(isValidPortName("8080").includes("must contain at least one letter (a-z)"));
  assert.ok(isValidPortName("a-very-long-port-name").length > 0);
  assert.deepEqual(isValidIP("10.96.0.1"), []);
  assert.deepEqual(isValidIP("2001:db8::1"), []);
  assert.equal(isValidIP("10.96.0.256").length, 1);
  assert.deepEqual(isEnvVarName("MY_VAR.1"), []);
  assert.equal(isEnvVarName("1VAR").length, 1);
  assert.deepEqual(isConfigMapKey("app.properties"), []);
  assert.ok(isConfigMapKey("..data").includes("must not start with '..'"));
});

test("quantities", () => {
  assert.equal(quantityValue("100m"), 0.1);
  assert.equal(quantityValue("1Gi"), 2 ** 30);
  assert.equal(quantityValue("2e3"), 2000);
  assert.equal(quantityValue("1.5"), 1.5);
  assert.equal(quantityValue(3), 3);
  assert.equal(quantityValue("1 Gi"), undefined);
  assert.equal(quantityValue("abc"), undefined);
  const errs = validateResourceRequirements({ requests: { memory: "1Gi", cpu: "x" }, limits: { memory: "512Mi" } }, "r");
  assert.deepEqual(errs.map((e) => e.field), ["r.requests[cpu]", "r.requests[memory]"]);
});

test("cron schedules and time zones", () => {
  for (const ok of ["* * * * *", "*/15 0-6 1,15 JAN-MAR mon-fri", "@daily", "@every 1h30m", "0 0 * * 0"]) assert.equal(cronScheduleError(ok), undefined, ok);
  assert.equal(cronScheduleError("* * *"), "expected exactly 5 fields, found 3: [* * *]");
  assert.match(cronScheduleError("60 * * * *")!, /above maximum/);
  assert.match(cronScheduleError("TZ=UTC * * * * *")!, /use timeZone field instead/);
  assert.match(cronScheduleError("@sometimes")!, /unrecognized descriptor/);
  assert.equal(timeZoneError("America/New_York"), undefined);
  assert.equal(timeZoneError("Nowhere/Else"), "unknown time zone Nowhere/Else");
});

test("int-or-percent", () => {
  assert.deepEqual(validateIntOrPercent("25%", "f"), []);
  assert.deepEqual(validateIntOrPercent(1, "f"), []);
  assert.equal(validateIntOrPercent("25", "f").length, 1);
  assert.equal(validateIntOrPercent(-1, "f").length, 1);
});
