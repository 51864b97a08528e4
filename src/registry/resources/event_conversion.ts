// events.k8s.io/v1 <-> core/v1 Event. Both APIs serve the same stored objects (core/v1 form, under the "events"
// storage prefix); the new API renames fields: regarding/involvedObject, note/message, deprecated* for the
// legacy counters and timestamps, reportingController/reportingComponent.
import type { StoredObject } from "../../api/object.js";

type Rec = Record<string, unknown>;

/** Moves `from` to `to` when present (renaming a field). */
function move(src: Rec, dst: Rec, from: string, to: string): void {
  if (src[from] !== undefined) dst[to] = src[from];
}

const SHARED = ["metadata", "reason", "type", "action", "related", "eventTime", "reportingInstance"];

export function eventsV1ToCore(obj: StoredObject): StoredObject {
  const src = obj as Rec;
  const out: Rec = { apiVersion: "v1", kind: "Event" };
  for (const k of SHARED) move(src, out, k, k);
  move(src, out, "regarding", "involvedObject");
  move(src, out, "note", "message");
  move(src, out, "reportingController", "reportingComponent");
  move(src, out, "deprecatedSource", "source");
  move(src, out, "deprecatedFirstTimestamp", "firstTimestamp");
  move(src, out, "deprecatedLastTimestamp", "lastTimestamp");
  move(src, out, "deprecatedCount", "count");
  if (src.series !== undefined) out.series = src.series;
  out.involvedObject ??= {};
  return out as StoredObject;
}

export function coreToEventsV1(obj: StoredObject): StoredObject {
  const src = obj as Rec;
  const out: Rec = { apiVersion: "events.k8s.io/v1", kind: "Event" };
  for (const k of SHARED) move(src, out, k, k);
  move(src, out, "involvedObject", "regarding");
  move(src, out, "message", "note");
  move(src, out, "reportingComponent", "reportingController");
  move(src, out, "source", "deprecatedSource");
  move(src, out, "firstTimestamp", "deprecatedFirstTimestamp");
  move(src, out, "lastTimestamp", "deprecatedLastTimestamp");
  move(src, out, "count", "deprecatedCount");
  if (src.series !== undefined) out.series = src.series;
  // Legacy events keep no eventTime (Kubernetes answers null): synthesizing one would make a read-modify-write
  // turn them into new-style events with stricter validation.
  return out as StoredObject;
}
