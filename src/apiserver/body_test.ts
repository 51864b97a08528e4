import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isStatusError } from "../machinery/errors.js";
import { decodeBody, MAX_BODY_DEPTH } from "./body.js";

const nested = (depth: number): Buffer => Buffer.from("[".repeat(depth) + "]".repeat(depth));

describe("decodeBody", () => {
  it("accepts JSON nested exactly to the limit and refuses the smallest body nested one level deeper", () => {
    assert.equal(nested(MAX_BODY_DEPTH).length, 2 * MAX_BODY_DEPTH);
    assert.ok(Array.isArray(decodeBody(nested(MAX_BODY_DEPTH), "application/json").value));
    assert.throws(
      () => decodeBody(nested(MAX_BODY_DEPTH + 1), "application/json"),
      (err: unknown) => isStatusError(err) && err.status.code === 400 && /nests deeper than 512 levels/.test(err.status.message ?? ""),
    );
  });

  it("reads the media type whatever its case and parameters", () => {
    for (const ct of [undefined, "application/json", "Application/JSON; charset=utf-8", "application/yaml"]) {
      assert.deepEqual(decodeBody(Buffer.from('{"a":1}'), ct).value, { a: 1 }, String(ct));
    }
    assert.throws(() => decodeBody(Buffer.from("{}"), "application/vnd.kubernetes.protobuf"), (err: unknown) => isStatusError(err) && err.status.code === 415);
  });
});
