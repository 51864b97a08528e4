// Error answers of the API server as StatusErrors, for the unary and the streaming paths alike.
import { fromStatus, type Status, type StatusError } from "../machinery/errors.js";

/** Turns an error answer into a StatusError, whether or not the body is a Status. */
export function errorFromResponse(code: number, text: string): StatusError {
  try {
    const body = JSON.parse(text) as Partial<Status>;
    if (body && body.kind === "Status") return fromStatus({ ...body, code: body.code ?? code });
  } catch {
    // not JSON: fall through to a generic Status carrying the text
  }
  return fromStatus({ code, message: text.trim() || `the server responded with status ${code}` });
}
