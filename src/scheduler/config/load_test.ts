import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { registryResolveOptions, validatePluginArgs } from "../scheduler.js";
import { loadConfigFile, parseConfig } from "./load.js";

const opts = registryResolveOptions();

describe("KubeSchedulerConfiguration", () => {
  it("defaults to one default-scheduler profile with Kubernetes' plugins, backoff and leader election", () => {
    const c = parseConfig("", opts);
    assert.equal(c.profiles.length, 1);
    assert.equal(c.profiles[0]!.schedulerName, "default-scheduler");
    assert.deepEqual(c.profiles[0]!.points.filter, ["NodeUnschedulable", "NodeName", "TaintToleration", "NodeAffinity", "NodePorts", "NodeResourcesFit", "VolumeBinding", "PodTopologySpread", "InterPodAffinity"]);
    assert.deepEqual(c.profiles[0]!.points.postFilter, ["DefaultPreemption"]);
    assert.equal(c.profiles[0]!.scoreWeights.get("TaintToleration"), 3);
    assert.equal(c.podInitialBackoffMs, 1000);
    assert.equal(c.podMaxBackoffMs, 10_000);
    assert.equal(c.leaderElect, true);
    assert.equal(c.leaseName, "kube-scheduler");
    assert.equal(c.leaseNamespace, "kube-system");
  });

  it("reads profiles, enabled/disabled plugins, weights, pluginConfig and percentages from a file", () => {
    const dir = mkdtempSync(join(tmpdir(), "sched-config-"));
    try {
      const file = join(dir, "config.yaml");
      writeFileSync(
        file,
        `apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
percentageOfNodesToScore: 30
podInitialBackoffSeconds: 2
podMaxBackoffSeconds: 20
leaderElection:
  leaderElect: false
profiles:
- schedulerName: default-scheduler
  plugins:
    score:
      disabled:
      - name: ImageLocality
      enabled:
      - name: NodeAffinity
        weight: 7
- schedulerName: bin-packer
  percentageOfNodesToScore: 100
  plugins:
    postFilter:
      disabled:
      - name: "*"
    score:
      disabled:
      - name: "*"
      enabled:
      - name: NodeResourcesFit
        weight: 5
  pluginConfig:
  - name: NodeResourcesFit
    args:
      scoringStrategy:
        type: MostAllocated
        resources:
        - name: cpu
          weight: 1
`,
      );
      const c = loadConfigFile(file, opts);
      assert.equal(c.percentageOfNodesToScore, 30);
      assert.equal(c.podInitialBackoffMs, 2000);
      assert.equal(c.podMaxBackoffMs, 20_000);
      assert.equal(c.leaderElect, false);
      const [def, packer] = c.profiles;
      assert.ok(!def!.points.score.includes("ImageLocality"));
      assert.equal(def!.scoreWeights.get("NodeAffinity"), 7);
      assert.equal(packer!.schedulerName, "bin-packer");
      assert.equal(packer!.percentageOfNodesToScore, 100);
      assert.deepEqual(packer!.points.score, ["NodeResourcesFit"]);
      assert.deepEqual(packer!.points.postFilter, []);
      assert.equal(packer!.scoreWeights.get("NodeResourcesFit"), 5);
      assert.deepEqual(packer!.pluginArgs.get("NodeResourcesFit"), { scoringStrategy: { type: "MostAllocated", resources: [{ name: "cpu", weight: 1 }] } });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("multiPoint enables a plugin at every extension point it implements", () => {
    const c = parseConfig("profiles:\n- plugins:\n    multiPoint:\n      disabled: [{name: '*'}]\n      enabled: [{name: PrioritySort}, {name: DefaultBinder}, {name: NodeAffinity, weight: 4}]\n", opts);
    const p = c.profiles[0]!;
    assert.deepEqual(p.points.filter, ["NodeAffinity"]);
    assert.deepEqual(p.points.score, ["NodeAffinity"]);
    assert.deepEqual(p.points.preFilter, ["NodeAffinity"]);
    assert.equal(p.scoreWeights.get("NodeAffinity"), 4);
  });

  it("refuses bad configurations with messages naming the field", () => {
    assert.throws(() => parseConfig("apiVersion: kubescheduler.config.k8s.io/v1beta1\n", opts), /apiVersion: Unsupported value/);
    assert.throws(() => parseConfig("percentageOfNodesToScore: 120\n", opts), /percentageOfNodesToScore: Invalid value: 120/);
    assert.throws(() => parseConfig("profiles:\n- plugins:\n    filter:\n      enabled: [{name: NoSuchPlugin}]\n", opts), /profiles\[0\]\.plugins\.filter\.enabled: Invalid value: "NoSuchPlugin": unknown plugin/);
    assert.throws(() => parseConfig("profiles:\n- schedulerName: a\n- schedulerName: a\n", opts), /Duplicate value: "a"/);
    assert.throws(() => parseConfig("profiles:\n- plugins:\n    bind:\n      disabled: [{name: '*'}]\n", opts), /at least one bind plugin/);
    assert.throws(() => parseConfig("podInitialBackoffSeconds: 5\npodMaxBackoffSeconds: 1\n", opts), /podMaxBackoffSeconds/);
    assert.throws(() => parseConfig("profiles: [\n", opts), /not valid YAML/);
  });

  it("refuses bad plugin args when the profiles are built", () => {
    const bad = parseConfig("profiles:\n- pluginConfig:\n  - name: NodeResourcesFit\n    args:\n      scoringStrategy:\n        type: Fastest\n", opts);
    assert.throws(() => validatePluginArgs(bad), /profile "default-scheduler": NodeResourcesFit args: scoringStrategy.type: Unsupported value: "Fastest"/);
    const weights = parseConfig("profiles:\n- pluginConfig:\n  - name: InterPodAffinity\n    args: {hardPodAffinityWeight: 101}\n", opts);
    assert.throws(() => validatePluginArgs(weights), /hardPodAffinityWeight: Invalid value: 101/);
    validatePluginArgs(parseConfig("", opts));
  });
});
