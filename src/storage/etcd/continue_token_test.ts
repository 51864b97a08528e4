import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isStorageError } from "../errors.js";
import { decodeContinue, encodeContinue } from "./continue_token.js";

describe("etcd continue tokens", () => {
  it("round-trip the start key and revision", () => {
    const point = { start: "/registry/pods/default/web-0\u0000", revision: 42 };
    assert.deepEqual(decodeContinue(encodeContinue(point), "/registry/pods/"), point);
  });

  it("reject garbage, foreign prefixes and bad revisions with InvalidContinue", () => {
    const bad = [
      "not a token!",
      Buffer.from("[1,2]").toString("base64url"),
      Buffer.from('{"v":2,"s":"/a/x","r":3}').toString("base64url"),
      Buffer.from('{"v":1,"s":"/a/x","r":-3}').toString("base64url"),
      Buffer.from('{"v":1,"s":"/a/x","r":1.5}').toString("base64url"),
      encodeContinue({ start: "/b/x", revision: 3 }),
    ];
    for (const token of bad) {
      assert.throws(() => decodeContinue(token, "/a/"), (err: unknown) => isStorageError(err, "InvalidContinue"), token);
    }
  });
});
