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
    assert.deepEqual(parseServerFlags(["--metric-resolution", "5s", "--horizontal-pod-autoscaler-sync-period=2s", "--horizontal-pod-autoscaler-downscale-stabilization", "1m"]), {
      metricResolutionMs: 5000,
      hpaSyncPeriodMs: 2000,
      hpaDownscaleStabilizationMs: 60_000,
    });
    assert.deepEqual(parseServerFlags(["--local-path-dir=/srv/volumes"]), { localPathDir: "/srv/volumes" });
  });

  it("names the bad flag", () => {
    assert.throws(() => parseServerFlags(["--nope"]), /unknown flag "--nope"/);
    assert.throws(() => parseServerFlags(["--port"]), /--port needs a value/);
    assert.throws(() => parseServerFlags(["--port", "99999"]), /invalid --port "99999"/);
    assert.throws(() => parseServerFlags(["--metric-resolution", "soon"]), /invalid duration "soon"/);
    assert.throws(() => parseServerFlags(["--horizontal-pod-autoscaler-sync-period", "0s"]), /must be positive/);
  });
});
