// One watch connection: a chunked response of newline-delimited JSON events, parsed as they arrive.
import http from "node:http";
import https from "node:https";
import type { KubeObject } from "../api/object.js";
import { errorFromResponse } from "./response_error.js";
import type { WatchEvent, WatchHandle, WatchHandlers } from "./types.js";

export interface WatchTarget {
  url: URL;
  agent: http.Agent;
  headers: Record<string, string>;
  https: boolean;
}

export function openWatch<T extends KubeObject>(target: WatchTarget, handlers: WatchHandlers<T>): WatchHandle {
  let closed = false;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  const close = (): void => {
    if (closed) return;
    closed = true;
    try {
      handlers.onClose?.();
    } finally {
      resolveDone();
    }
  };
  const fail = (err: Error): void => {
    if (closed) return;
    handlers.onError?.(err);
    close();
  };

  const req = (target.https ? https : http).request(target.url, { method: "GET", agent: target.agent, headers: target.headers }, (res) => {
    res.setEncoding("utf8");
    if ((res.statusCode ?? 0) < 200 || (res.statusCode ?? 0) > 299) {
      let text = "";
      res.on("data", (c: string) => (text += c));
      res.on("end", () => fail(errorFromResponse(res.statusCode ?? 0, text)));
      return;
    }
    let buf = "";
    res.on("data", (chunk: string) => {
      buf += chunk;
      let nl: number;
      while (!closed && (nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (!line) continue;
        let ev: WatchEvent<T>;
        try {
          ev = JSON.parse(line) as WatchEvent<T>;
        } catch {
          req.destroy();
          return fail(new Error(`watch ${target.url.pathname}: undecodable event: ${line.slice(0, 200)}`));
        }
        handlers.onEvent(ev);
      }
    });
    res.on("end", close);
    res.on("close", close);
    res.on("error", (err) => fail(err));
  });
  req.on("error", (err) => {
    // Errors after stop() are the destroy we asked for.
    if (!closed) fail(err);
  });
  req.end();
  return {
    stop: () => {
      if (closed) return;
      req.destroy();
      close();
    },
    done,
  };
}
