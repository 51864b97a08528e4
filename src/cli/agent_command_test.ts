import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { agentCommand, parseFlags, NODE_FLAG_NAMES, type NodeFlags } from "./agent_command.js";

/** Runs fn with process.stderr writes captured. */
async function captureStderr(fn: () => Promise<unknown>): Promise<{ result: unknown; text: string }> {
  const orig = process.stderr.write.bind(process.stderr);
  let text = "";
  process.stderr.write = ((chunk: string | Uint8Array) => {
    text += String(chunk);
    return true;
  }) as typeof process.stderr.write;
  try {
    return { result: await fn(), text };
  } finally {
    process.stderr.write = orig;
  }
}

describe("k8ts agent", () => {
  it("answers a clear error for the containerd runtime without a containerd address or root", async () => {
    const { result, text } = await captureStderr(() => agentCommand(["--runtime", "containerd", "--node-name", "n1", "--server", "http://127.0.0.1:1"]));
    assert.equal(result, 2);
    assert.match(text, /--runtime containerd needs exactly one of --containerd-address SOCK or --containerd-root DIR/);
  });

  it("rejects unknown runtimes, flags and bad --serve values", async () => {
    assert.equal((await captureStderr(() => agentCommand(["--runtime", "docker"]))).result, 2);
    assert.equal((await captureStderr(() => agentCommand(["--frobnicate"]))).result, 2);
    assert.equal((await captureStderr(() => agentCommand(["--runtime", "simulated", "--server", "http://127.0.0.1:1", "--serve", "nope"]))).result, 2);
  });

  it("rejects image GC thresholds and ages the kubelet refuses, and bad registry addresses", async () => {
    const sim = ["--runtime", "simulated", "--server", "http://127.0.0.1:1"];
    const low = await captureStderr(() => agentCommand([...sim, "--image-gc-high-threshold", "50", "--image-gc-low-threshold", "60"]));
    assert.equal(low.result, 2);
    assert.match(low.text, /image GC low threshold 60 is greater than the high threshold 50/);
    const high = await captureStderr(() => agentCommand([...sim, "--image-gc-high-threshold", "101"]));
    assert.equal(high.result, 2);
    assert.match(high.text, /high threshold 101: must be in \[0, 100\]/);
    const age = await captureStderr(() => agentCommand([...sim, "--image-maximum-gc-age", "5x"]));
    assert.equal(age.result, 2);
    assert.match(age.text, /invalid duration "5x"/);
    const reg = await captureStderr(() => agentCommand([...sim, "--insecure-registry", "http://10.0.0.1:5000"]));
    assert.equal(reg.result, 2);
    assert.match(reg.text, /invalid registry address "http:\/\/10.0.0.1:5000"/);
  });

  it("parses node flags", () => {
    const f = parseFlags<NodeFlags>(["--cpu=8", "--memory", "32Gi", "--node-labels", "a=1,b=2"], { names: NODE_FLAG_NAMES });
    assert.deepEqual(f, { cpu: "8", memory: "32Gi", labels: { a: "1", b: "2" } });
    assert.throws(() => parseFlags<NodeFlags>(["--cpu"], { names: NODE_FLAG_NAMES }), /needs a value/);
  });
});
