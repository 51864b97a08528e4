// Serving one container's CRI log file as `kubectl logs` expects it: logical lines (partial pieces joined), the
// tail/since/limit/timestamps options, and follow mode, which keeps reading new lines until the client goes away or
// the container has exited and everything it wrote has been sent.
import { watch, type FSWatcher } from "node:fs";
import { open, type FileHandle } from "node:fs/promises";
import type { Writable } from "node:stream";
import { CriLogDecoder, renderLine, wanted, type LogLine, type LogOptions } from "./cri_log_format.js";

export interface FollowOptions {
  /** Whether the container still runs (follow ends once it does not and the file has no more bytes). */
  running: () => Promise<boolean>;
  /** Ends the stream (the client went away). */
  signal: AbortSignal;
  /** How often the file is checked when no change notification arrives (default 500 ms). */
  pollMs?: number;
}

const CHUNK = 64 * 1024;
const DEFAULT_POLL_MS = 500;

class Output {
  private sent = 0;
  done = false;

  constructor(
    private readonly out: Writable,
    private readonly opts: LogOptions,
  ) {}

  /** Writes a line, honouring limitBytes and backpressure. */
  async line(l: LogLine): Promise<void> {
    if (this.done) return;
    let bytes = renderLine(l, this.opts);
    if (this.opts.limitBytes !== undefined && this.sent + bytes.length >= this.opts.limitBytes) {
      bytes = bytes.subarray(0, this.opts.limitBytes - this.sent);
      this.done = true;
    }
    this.sent += bytes.length;
    if (bytes.length && !this.out.write(bytes) && !this.out.destroyed) {
      await new Promise<void>((resolve) => {
        const finish = (): void => {
          this.out.off("drain", finish);
          this.out.off("close", finish);
          resolve();
        };
        this.out.on("drain", finish);
        this.out.on("close", finish);
      });
    }
    if (this.out.destroyed) this.done = true;
  }
}

async function readFrom(fh: FileHandle, offset: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (;;) {
    const buf = Buffer.alloc(CHUNK);
    const { bytesRead } = await fh.read(buf, 0, CHUNK, offset);
    if (bytesRead === 0) break;
    parts.push(buf.subarray(0, bytesRead));
    offset += bytesRead;
  }
  return Buffer.concat(parts);
}

/** Waits for a change of the file, the poll interval or the end of the stream, whichever comes first. */
function changeOrTimeout(watcher: FSWatcher | undefined, ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      watcher?.off("change", done);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    watcher?.on("change", done);
    signal.addEventListener("abort", done);
  });
}

/** Streams a CRI log file to `out` with the given options; resolves when done (it does not end `out`). */
export async function streamLogFile(path: string, out: Writable, opts: LogOptions, follow?: FollowOptions): Promise<void> {
  const fh = await open(path, "r");
  const output = new Output(out, opts);
  const decoder = new CriLogDecoder();
  let watcher: FSWatcher | undefined;
  try {
    let offset = 0;
    const first = await readFrom(fh, offset);
    offset += first.length;
    let lines = decoder.push(first).filter((l) => wanted(l, opts));
    if (opts.tailLines !== undefined) lines = opts.tailLines === 0 ? [] : lines.slice(-opts.tailLines);
    for (const l of lines) await output.line(l);
    if (!opts.follow || !follow) {
      for (const l of decoder.end()) if (wanted(l, opts)) await output.line(l);
      return;
    }
    try {
      watcher = watch(path, { persistent: false });
      watcher.on("error", () => undefined);
    } catch {
      // Some filesystems cannot be watched: polling alone still follows the file.
    }
    while (!output.done && !follow.signal.aborted && !out.destroyed) {
      const more = await readFrom(fh, offset);
      offset += more.length;
      for (const l of decoder.push(more)) if (wanted(l, opts)) await output.line(l);
      if (more.length === 0) {
        if (!(await follow.running().catch(() => false))) {
          // The container is gone: whatever it wrote last is in the file by now.
          const last = await readFrom(fh, offset);
          for (const l of [...decoder.push(last), ...decoder.end()]) if (wanted(l, opts)) await output.line(l);
          return;
        }
        await changeOrTimeout(watcher, follow.pollMs ?? DEFAULT_POLL_MS, follow.signal);
      }
    }
  } finally {
    watcher?.close();
    await fh.close();
  }
}
