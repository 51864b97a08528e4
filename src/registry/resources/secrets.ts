// core/v1 secrets: type (default Opaque, immutable), base64 data, stringData folded into data, the keys each
// builtin type requires, and the `type` field selector.
import type { Secret } from "kubernetes-types/core/v1.js";
import type { StoredObject } from "../../api/object.js";
import type { ResourceDef } from "../types.js";
import { check, isConfigMapKey } from "../../api/validation/names.js";
import { immutable, invalid, required, type FieldError } from "../../api/validation/field.js";
import { AGE_COLUMN, NAME_COLUMN, age, as, col } from "./common.js";
import { MAX_DATA_BYTES, validateImmutableData } from "./configmaps.js";

const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Keys each builtin secret type must carry. */
const REQUIRED_KEYS: Record<string, string[]> = {
  "kubernetes.io/dockercfg": [".dockercfg"],
  "kubernetes.io/dockerconfigjson": [".dockerconfigjson"],
  "kubernetes.io/ssh-auth": ["ssh-privatekey"],
  "kubernetes.io/tls": ["tls.crt", "tls.key"],
};
export const SERVICE_ACCOUNT_NAME_ANNOTATION = "kubernetes.io/service-account.name";

/** stringData is write-only: its entries overwrite data's, base64-encoded (what the core/v1 conversion does). */
function foldStringData(obj: StoredObject): void {
  const s = obj as { stringData?: Record<string, string>; data?: Record<string, string> };
  if (!s.stringData) return;
  const data = (s.data ??= {});
  for (const [k, v] of Object.entries(s.stringData)) data[k] = Buffer.from(String(v), "utf8").toString("base64");
  delete s.stringData;
}

function validate(sec: Secret): FieldError[] {
  const errs: FieldError[] = [];
  let total = 0;
  for (const [k, v] of Object.entries(sec.data ?? {})) {
    errs.push(...check(k, "data[" + k + "]", isConfigMapKey));
    if (typeof v !== "string" || !BASE64_RE.test(v)) errs.push(invalid(`data[${k}]`, "<secret contents redacted>", "must be a base64-encoded string"));
    else total += Buffer.from(v, "base64").length;
  }
  if (total > MAX_DATA_BYTES) errs.push({ type: "FieldValueTooLong", field: "data", detail: `must have at most ${MAX_DATA_BYTES} bytes` });
  const type = sec.type ?? "Opaque";
  for (const key of REQUIRED_KEYS[type] ?? []) {
    if (sec.data?.[key] === undefined) errs.push(required(`data[${key}]`));
  }
  if (type === "kubernetes.io/service-account-token" && !sec.metadata?.annotations?.[SERVICE_ACCOUNT_NAME_ANNOTATION]) {
    errs.push(required(`metadata.annotations[${SERVICE_ACCOUNT_NAME_ANNOTATION}]`));
  }
  if (type === "kubernetes.io/basic-auth" && sec.data?.username === undefined && sec.data?.password === undefined) {
    errs.push(required("data[username]"), required("data[password]"));
  }
  return errs;
}

export const secrets: ResourceDef = {
  group: "",
  kind: "Secret",
  resource: "secrets",
  singular: "secret",
  namespaced: true,
  storageVersion: "v1",
  versions: [{ version: "v1" }],
  strategy: {
    defaults(obj) {
      foldStringData(obj);
      const s = as<Secret>(obj);
      if (!s.type) (obj as { type?: string }).type = "Opaque";
    },
    validate: (obj) => validate(as<Secret>(obj)),
    validateUpdate(obj, old) {
      const n = as<Secret>(obj);
      const o = as<Secret>(old);
      return [...validate(n), ...immutable(n.type, o.type, "type"), ...validateImmutableData(n, o, ["data"])];
    },
    fieldAttrs: (obj) => ({ type: as<Secret>(obj).type ?? "" }),
  },
  table: {
    columns: [NAME_COLUMN, col("Type", "string", "Used to facilitate programmatic handling of secret data."), col("Data", "string", "Data contains the secret data."), AGE_COLUMN],
    cells(obj, now) {
      const s = as<Secret>(obj);
      return [obj.metadata.name, s.type ?? "", Object.keys(s.data ?? {}).length, age(obj, now)];
    },
  },
};
