import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { imageCommand } from "./image_command.js";
import { criTestSkipReason } from "../kubelet/runtime/cri/testing.js";

/** Runs fn with process.stderr writes captured (stdout carries the test runner's own reports, so it is left alone). */
async function capture(fn: () => Promise<unknown>): Promise<{ result: unknown; err: string }> {
  const e = process.stderr.write.bind(process.stderr);
  let err = "";
  process.stderr.write = ((c: string | Uint8Array) => ((err += String(c)), true)) as typeof process.stderr.write;
  try {
    return { result: await fn(), err };
  } finally {
    process.stderr.write = e;
  }
}

describe("k8ts image", () => {
  it("rejects unknown subcommands and images, and load without a target", async () => {
    assert.equal((await capture(() => imageCommand(["frob"]))).result, 2);
    const bad = await capture(() => imageCommand(["build", "alpine"]));
    assert.equal(bad.result, 2);
    assert.match(bad.err, /unknown image "alpine" \(want busybox or pause\)/);
    assert.equal((await capture(() => imageCommand(["load", "x.tar"]))).result, 2);
  });

  it("builds the pause image as a tagged tarball", { skip: criTestSkipReason() }, async () => {
    const dir = mkdtempSync(join(tmpdir(), "k8ts-image-cmd-"));
    try {
      const r = await capture(() => imageCommand(["build", "pause", "--out", dir]));
      assert.equal(r.result, 0, r.err);
      assert.ok(existsSync(join(dir, "pause.tar")) && statSync(join(dir, "pause.tar")).size > 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
