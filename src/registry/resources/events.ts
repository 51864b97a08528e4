// Events: core/v1 and events.k8s.io/v1 serve the same stored objects (core/v1 form, storage prefix "events").
// Validation follows Kubernetes: events with an eventTime are "new style" and must name their reporter and action;
// events.k8s.io/v1 writes are stricter (no deprecated fields on create, only the series changes on update).
import type { Event } from "kubernetes-types/core/v1.js";
import type { StoredObject } from "../../api/object.js";
import type { ResourceDef, Strategy } from "../types.js";
import { immutable, invalid, required, type FieldError } from "../../api/validation/field.js";
import { check, isQualifiedName } from "../../api/validation/names.js";
import { NAME_COLUMN, as, col, since } from "./common.js";
import { coreToEventsV1, eventsV1ToCore } from "./event_conversion.js";

/** Storage key prefix both event resources use. */
export const EVENTS_STORAGE_PREFIX = "events";
const NOTE_MAX = 1024;
const REASON_ACTION_MAX = 128;
const REPORTING_INSTANCE_MAX = 128;

/** The API an event arrived through names the reporter field differently. */
type EventApi = "core" | "events.k8s.io";

/**
 * The rules every event passes (Kubernetes' legacyValidateEvent): an event without eventTime is old-style and its
 * namespace must agree with its object's; a new-style event (eventTime set) must name reporter, action and reason.
 */
function legacyValidate(e: Event, api: EventApi): FieldError[] {
  const errs: FieldError[] = [];
  const ns = e.metadata?.namespace ?? "";
  const involvedNs = e.involvedObject?.namespace ?? "";
  const mismatch = () => invalid("involvedObject.namespace", involvedNs, "does not match event.namespace");
  if (!e.eventTime) {
    // Events about cluster-scoped objects live in "default" (or no namespace, for old clients).
    if (!involvedNs ? ns !== "" && ns !== "default" : ns !== involvedNs) errs.push(mismatch());
    return errs;
  }
  if (!involvedNs && ns !== "default" && ns !== "kube-system") errs.push(mismatch());
  const reporterField = api === "core" ? "reportingComponent" : "reportingController";
  if (!e.reportingComponent) errs.push(required(reporterField));
  else errs.push(...check(e.reportingComponent, reporterField, isQualifiedName));
  if (!e.reportingInstance) errs.push(required("reportingInstance"));
  else if (e.reportingInstance.length > REPORTING_INSTANCE_MAX) errs.push(invalid("reportingInstance", "", `can have at most ${REPORTING_INSTANCE_MAX} characters`));
  if (!e.action) errs.push(required("action"));
  else if (e.action.length > REASON_ACTION_MAX) errs.push(invalid("action", "", `can have at most ${REASON_ACTION_MAX} characters`));
  if (!e.reason) errs.push(required("reason"));
  else if (e.reason.length > REASON_ACTION_MAX) errs.push(invalid("reason", "", `can have at most ${REASON_ACTION_MAX} characters`));
  if ((e.message ?? "").length > NOTE_MAX) errs.push(invalid("note", "", `can have at most ${NOTE_MAX} characters`));
  return errs;
}

/** events.k8s.io/v1 creates are strict: new-style only, without the deprecated fields. */
function strictValidate(e: Event): FieldError[] {
  const errs: FieldError[] = [];
  if (!e.eventTime) errs.push(required("eventTime"));
  if (e.type !== "Normal" && e.type !== "Warning") errs.push(invalid("type", "", `has invalid value: ${e.type ?? ""}`));
  if (e.firstTimestamp) errs.push(invalid("deprecatedFirstTimestamp", "", "needs to be unset"));
  if (e.lastTimestamp) errs.push(invalid("deprecatedLastTimestamp", "", "needs to be unset"));
  if (e.count) errs.push(invalid("deprecatedCount", "", "needs to be unset"));
  if (e.source?.component || e.source?.host) errs.push(invalid("deprecatedSource", "", "needs to be unset"));
  return errs;
}

/** events.k8s.io/v1 updates may change only the series (and metadata). */
const IMMUTABLE_V1_FIELDS: [keyof Event, string][] = [
  ["involvedObject", "regarding"], ["reason", "reason"], ["message", "note"], ["type", "type"], ["action", "action"],
  ["related", "related"], ["eventTime", "eventTime"], ["reportingComponent", "reportingController"], ["reportingInstance", "reportingInstance"],
];

function eventStrategy(api: EventApi): Strategy {
  return {
    allowCreateOnUpdate: true,
    validate(obj) {
      const e = as<Event>(obj);
      return api === "core" ? legacyValidate(e, api) : [...legacyValidate(e, api), ...strictValidate(e)];
    },
    validateUpdate(obj, old) {
      const e = as<Event>(obj);
      const errs = legacyValidate(e, api);
      if (api === "events.k8s.io") {
        const o = as<Event>(old);
        for (const [k, name] of IMMUTABLE_V1_FIELDS) errs.push(...immutable(e[k], o[k], name));
      }
      return errs;
    },
    fieldAttrs: eventFieldAttrs,
  };
}

/** Tables and field selectors may see either API's form; both read the core/v1 one. */
function asCore(obj: StoredObject): Event & StoredObject {
  return as<Event>(obj.apiVersion === "events.k8s.io/v1" ? eventsV1ToCore(obj) : obj);
}

function eventFieldAttrs(obj: StoredObject): Record<string, string> {
  const e = asCore(obj);
  const io = e.involvedObject ?? {};
  return {
    "involvedObject.kind": io.kind ?? "",
    "involvedObject.namespace": io.namespace ?? "",
    "involvedObject.name": io.name ?? "",
    "involvedObject.uid": io.uid ?? "",
    "involvedObject.apiVersion": io.apiVersion ?? "",
    "involvedObject.resourceVersion": io.resourceVersion ?? "",
    "involvedObject.fieldPath": io.fieldPath ?? "",
    reason: e.reason ?? "",
    reportingComponent: e.reportingComponent ?? "",
    source: e.source?.component ?? "",
    type: e.type ?? "",
  };
}

function sourceCell(e: Event): string {
  const component = e.source?.component || e.reportingComponent || "";
  const instance = e.source?.host || e.reportingInstance || "";
  if (!component) return "";
  return instance ? `${component}, ${instance}` : component;
}

const eventTable: ResourceDef["table"] = {
  columns: [
    col("Last Seen", "string", "lastTimestamp is the time at which the most recent occurrence of this event was recorded."),
    col("Type", "string", "Type of this event (Normal, Warning), new types could be added in the future"),
    col("Reason", "string", "This should be a short, machine understandable string that gives the reason for the transition into the object's current status."),
    col("Object", "string", "The object that this event is about."),
    col("Subobject", "string", "If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go-field access statement.", 1),
    col("Source", "string", "The component reporting this event. Should be a short machine understandable string.", 1),
    col("Message", "string", "A human-readable description of the status of this operation."),
    col("First Seen", "string", "The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)", 1),
    col("Count", "string", "The number of times this event has occurred.", 1),
    { ...NAME_COLUMN, priority: 1 },
  ],
  cells(obj, now) {
    const e = asCore(obj);
    const first = e.firstTimestamp ? since(e.firstTimestamp, now) : since(e.eventTime, now);
    let last = e.lastTimestamp ? since(e.lastTimestamp, now) : first;
    let count = e.count || 1;
    if (e.series) {
      last = since(e.series.lastObservedTime, now);
      count = e.series.count ?? count;
    }
    const io = e.involvedObject ?? {};
    const kind = (io.kind ?? "").toLowerCase();
    const target = io.name ? `${kind}/${io.name}` : kind;
    return [last, e.type ?? "", e.reason ?? "", target, io.fieldPath ?? "", sourceCell(e), (e.message ?? "").trim(), first, count, e.metadata.name];
  },
};

export const coreEvents: ResourceDef = {
  group: "",
  kind: "Event",
  resource: "events",
  singular: "event",
  namespaced: true,
  storageVersion: "v1",
  versions: [{ version: "v1" }],
  shortNames: ["ev"],
  storagePrefix: EVENTS_STORAGE_PREFIX,
  strategy: eventStrategy("core"),
  table: eventTable,
};

/**
 * events.k8s.io/v1: the stored objects are core/v1 Events; this served version converts them. Its storageVersion
 * "v1" is nominal: toStorage produces the core/v1 form both definitions store.
 */
export const eventsV1: ResourceDef = {
  group: "events.k8s.io",
  kind: "Event",
  resource: "events",
  singular: "event",
  namespaced: true,
  storageVersion: "v1",
  versions: [{ version: "v1", toStorage: eventsV1ToCore, fromStorage: coreToEventsV1 }],
  shortNames: ["ev"],
  storagePrefix: EVENTS_STORAGE_PREFIX,
  strategy: eventStrategy("events.k8s.io"),
  table: eventTable,
};
