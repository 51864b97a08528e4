// The head of an HTTP/1.1 response (status line and header fields) reduced to what framing and connection reuse
// need (RFC 9112 sections 4, 6 and 9). Other fields are skipped: the REST client reads only the status and body.

export interface ResponseHead {
  status: number;
  /** Body length from Content-Length, -1 when absent. */
  contentLength: number;
  /** Transfer-Encoding ends in chunked. */
  chunked: boolean;
  /** The socket cannot carry another request after this answer. */
  close: boolean;
  /** The server's idle keep-alive window from `Keep-Alive: timeout=N`, in ms. */
  keepAliveMs?: number;
}

/** Parses the head (without its final empty line); throws on a malformed status line or framing fields. */
export function parseResponseHead(head: string): ResponseHead {
  const eol = head.indexOf("\r\n");
  const statusLine = eol < 0 ? head : head.slice(0, eol);
  // "HTTP/1.1 200 OK": the reason phrase may be empty or absent.
  if (!statusLine.startsWith("HTTP/1.") || statusLine.charCodeAt(8) !== 32) throw new Error(`malformed status line ${JSON.stringify(statusLine.slice(0, 80))}`);
  const status = Number(statusLine.slice(9, 12));
  if (!Number.isInteger(status) || status < 100 || status > 999 || (statusLine.length > 12 && statusLine.charCodeAt(12) !== 32)) {
    throw new Error(`malformed status line ${JSON.stringify(statusLine.slice(0, 80))}`);
  }
  const out: ResponseHead = { status, contentLength: -1, chunked: false, close: statusLine.charCodeAt(7) === 48 /* HTTP/1.0 */ };
  let otherEncoding = false;
  let pos = eol < 0 ? head.length : eol + 2;
  while (pos < head.length) {
    let end = head.indexOf("\r\n", pos);
    if (end < 0) end = head.length;
    const colon = head.indexOf(":", pos);
    if (colon < 0 || colon > end) throw new Error(`malformed header line ${JSON.stringify(head.slice(pos, Math.min(end, pos + 80)))}`);
    const nameLength = colon - pos;
    // Only the framing fields matter; their names have distinct lengths, so most lines are skipped on length alone.
    if (nameLength === 14 || nameLength === 17 || nameLength === 10) {
      const name = head.slice(pos, colon).toLowerCase();
      const value = head.slice(colon + 1, end).trim();
      // The common values (what node:http and Go servers send) are compared whole before any regular expression.
      if (name === "content-length") {
        const n = Number(value);
        if (!(Number.isSafeInteger(n) && n >= 0 && value.length > 0 && isDigits(value)) || (out.contentLength >= 0 && out.contentLength !== n)) {
          throw new Error(`bad Content-Length ${JSON.stringify(value)}`);
        }
        out.contentLength = n;
      } else if (name === "transfer-encoding") {
        const v = value.toLowerCase();
        if (v === "chunked" || v.split(",").at(-1)!.trim() === "chunked") out.chunked = true;
        else otherEncoding = true;
      } else if (name === "connection") {
        const v = value.toLowerCase();
        if (v === "keep-alive") out.close = false;
        else if (v === "close" || /(^|,)\s*close\s*(,|$)/.test(v)) out.close = true;
        else if (/(^|,)\s*keep-alive\s*(,|$)/.test(v)) out.close = false;
      } else if (name === "keep-alive") {
        const seconds = value.startsWith("timeout=") && isDigits(value.slice(8)) ? value.slice(8) : /(?:^|[,\s])timeout\s*=\s*(\d+)/i.exec(value)?.[1];
        if (seconds) out.keepAliveMs = Number(seconds) * 1000;
      }
    }
    pos = end + 2;
  }
  // A body not delimited by chunked encoding ends when the server closes (RFC 9112 6.3, items 3 and 8); with both
  // Transfer-Encoding and Content-Length the encoding wins and the connection is not reused.
  if (otherEncoding) {
    out.chunked = false;
    out.contentLength = -1;
    out.close = true;
  } else if (out.chunked && out.contentLength >= 0) {
    out.contentLength = -1;
    out.close = true;
  }
  return out;
}

function isDigits(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}
