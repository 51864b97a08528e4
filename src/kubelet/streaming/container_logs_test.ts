import assert from "node:assert/strict";
import { appendFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { after, before, describe, it } from "node:test";
import { streamLogFile } from "./container_logs.js";
import { CriLogDecoder, fixedNanos, logOptionsFromQuery } from "./cri_log_format.js";

const FILE = [
  "2026-11-26T10:00:00.1Z stdout F one",
  "2026-11-26T10:00:01.123456789Z stderr F two",
  "2026-11-26T10:00:02Z stdout P thr",
  "2026-11-26T10:00:02.5Z stdout F ee",
  "2026-11-26T10:00:03Z stdout F four",
  "",
].join("\n");

async function collect(path: string, opts: Parameters<typeof streamLogFile>[2]): Promise<string> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on("data", (c: Buffer) => chunks.push(c));
  await streamLogFile(path, out, opts);
  return Buffer.concat(chunks).toString();
}

describe("CRI log files as kubectl logs prints them", () => {
  let dir: string;
  let path: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "k8ts-logs-"));
    path = join(dir, "0.log");
    await writeFile(path, FILE);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it("strips the prefix and joins partial lines", async () => {
    assert.equal(await collect(path, {}), "one\ntwo\nthree\nfour\n");
  });

  it("keeps the last lines with tailLines, counting joined lines once", async () => {
    assert.equal(await collect(path, { tailLines: 2 }), "three\nfour\n");
    assert.equal(await collect(path, { tailLines: 0 }), "");
  });

  it("prints timestamps with nanoseconds, the first piece's for a joined line", async () => {
    assert.equal(
      await collect(path, { timestamps: true, tailLines: 2 }),
      "2026-11-26T10:00:02.000000000Z three\n2026-11-26T10:00:03.000000000Z four\n",
    );
  });

  it("filters by time and caps bytes", async () => {
    assert.equal(await collect(path, { sinceMs: Date.parse("2026-11-26T10:00:01Z") }), "two\nthree\nfour\n");
    assert.equal(await collect(path, { limitBytes: 6 }), "one\ntw");
  });

  it("follows new lines until the container stops running", async () => {
    const out = new PassThrough();
    let text = "";
    out.on("data", (c: Buffer) => (text += c.toString()));
    let running = true;
    const ac = new AbortController();
    const done = streamLogFile(path, out, { follow: true, tailLines: 1 }, { running: async () => running, signal: ac.signal, pollMs: 20 });
    while (!text.includes("four")) await new Promise((r) => setTimeout(r, 10));
    await appendFile(path, "2026-11-26T10:00:04Z stdout F five\n");
    while (!text.includes("five")) await new Promise((r) => setTimeout(r, 10));
    await appendFile(path, "2026-11-26T10:00:05Z stdout F six\n");
    running = false;
    await done;
    assert.equal(text, "four\nfive\nsix\n");
  });

  it("ends a follow when the client goes away", async () => {
    const ac = new AbortController();
    const done = streamLogFile(path, new PassThrough(), { follow: true }, { running: async () => true, signal: ac.signal, pollMs: 20 });
    ac.abort();
    await done;
  });

  it("decodes lines split across reads", () => {
    const d = new CriLogDecoder();
    assert.deepEqual(d.push(Buffer.from("2026-11-26T10:00:00Z stdout F a")), []);
    assert.deepEqual(d.push(Buffer.from("b\n")).map((l) => l.message.toString()), ["ab\n"]);
    assert.equal(fixedNanos("2026-11-26T10:00:00.5+02:00"), "2026-11-26T10:00:00.500000000+02:00");
  });

  it("reads the kubelet's query", () => {
    const o = logOptionsFromQuery(new URLSearchParams("follow=true&tailLines=-1&timestamps=true&previous=true&sinceSeconds=10"), 100_000);
    assert.deepEqual(o, { follow: true, timestamps: true, previous: true, sinceMs: 90_000 });
    assert.throws(() => logOptionsFromQuery(new URLSearchParams("limitBytes=0"), 0), /limitBytes/);
  });
});
