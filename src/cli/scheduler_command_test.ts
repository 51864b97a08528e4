import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parseSchedulerFlags, schedulerConfigFromFlags } from "./scheduler_command.js";

describe("k8ts scheduler flags", () => {
  it("parses --kubeconfig/--server, --config and --leader-elect in both spellings", () => {
    assert.deepEqual(parseSchedulerFlags(["--server", "http://127.0.0.1:6443", "--config=/etc/s.yaml", "--leader-elect=false"]), { server: "http://127.0.0.1:6443", config: "/etc/s.yaml", leaderElect: false });
    assert.deepEqual(parseSchedulerFlags(["--kubeconfig", "/k", "--leader-elect"]), { kubeconfig: "/k", leaderElect: true });
    assert.equal(parseSchedulerFlags([]).leaderElect, undefined, "the config file decides (default true)");
    assert.equal(parseSchedulerFlags(["--lease-duration", "30s"]).leaseDurationMs, 30_000);
  });
  it("refuses unknown flags, missing values and conflicting sources", () => {
    assert.throws(() => parseSchedulerFlags(["--bogus"]), /unknown flag "--bogus"/);
    assert.throws(() => parseSchedulerFlags(["--config"]), /needs a value/);
    assert.throws(() => parseSchedulerFlags(["--server", "x", "--kubeconfig", "y"]), /not both/);
    assert.throws(() => parseSchedulerFlags(["--leader-elect=maybe"]), /must be true or false/);
  });
  it("loads and checks the --config file", () => {
    const dir = mkdtempSync(join(tmpdir(), "sched-cli-"));
    try {
      const good = join(dir, "good.yaml");
      writeFileSync(good, "apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\nleaderElection: {leaderElect: false}\nprofiles:\n- schedulerName: mine\n");
      const c = schedulerConfigFromFlags({ config: good });
      assert.equal(c.profiles[0]!.schedulerName, "mine");
      assert.equal(c.leaderElect, false);
      const bad = join(dir, "bad.yaml");
      writeFileSync(bad, "profiles:\n- pluginConfig:\n  - name: NodeResourcesFit\n    args: {scoringStrategy: {type: Nope}}\n");
      assert.throws(() => schedulerConfigFromFlags({ config: bad }), /Unsupported value: "Nope"/);
      assert.equal(schedulerConfigFromFlags({}).profiles[0]!.schedulerName, "default-scheduler");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
