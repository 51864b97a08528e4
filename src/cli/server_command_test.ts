import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseServerFlags } from "./server_command.js";

describe("k8ts server flags", () => {
  it("parses both flag forms", () => {
    assert.deepEqual(parseServerFlags(["--data-dir", "/d", "--datastore=sqlite:///d/s.db", "--bind-address", "0.0.0.0", "--port=0"]), {
      dataDir: "/d",
      datastore: "sqlite:///d/s.db",
      bindAddress: "0.0.0.0",
      port: 0,
    });
    assert.deepEqual(parseServerFlags(["-h"]), { help: true });
    assert.deepEqual(parseServerFlags(["--disable-scheduler", "--disable-controller-manager", "--leader-elect=false"]), { scheduler: false, controllers: false, leaderElect: false });
  });

  it("names the bad flag", () => {
    assert.throws(() => parseServerFlags(["--nope"]), /unknown flag "--nope"/);
    assert.throws(() => parseServerFlags(["--port"]), /--port needs a value/);
    assert.throws(() => parseServerFlags(["--port", "99999"]), /invalid --port "99999"/);
  });
});
