import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { expand, lookupIn } from "./expand.js";

const vars = lookupIn(new Map([["VAR_A", "A"], ["VAR_B", "B"], ["EMPTY", ""]]), new Map([["SVC", "svc"], ["VAR_A", "shadowed"]]));

describe("$(VAR) expansion", () => {
  const cases: Array<[string, string]> = [
    ["$(VAR_A)", "A"],
    ["___$(VAR_B)___", "___B___"],
    ["$(VAR_A)-$(VAR_B)", "A-B"],
    ["$(SVC)", "svc"],
    ["$(EMPTY)", ""],
    ["$(UNKNOWN)", "$(UNKNOWN)"],
    ["$$(VAR_A)", "$(VAR_A)"],
    ["$$$(VAR_A)", "$A"],
    ["$$$$(VAR_A)", "$$(VAR_A)"],
    ["$$", "$"],
    ["$", "$"],
    ["foo$", "foo$"],
    ["$VAR_A", "$VAR_A"],
    ["$(VAR_A", "$(VAR_A"],
    ["$(VAR_A$(VAR_B)", "$(VAR_A$(VAR_B)"], // the name runs to the first ")"
    ["$()", "$()"],
    ["${VAR_A}", "${VAR_A}"],
    ["$(VAR_A)$(VAR_A)", "AA"],
    ["no vars", "no vars"],
  ];
  for (const [input, want] of cases) it(`${JSON.stringify(input)} -> ${JSON.stringify(want)}`, () => assert.equal(expand(input, vars), want));
});
