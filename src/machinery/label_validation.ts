// Kubernetes' syntax rules for label keys and values, annotation keys, and the messages it reports for them
// (k8s.io/apimachinery/pkg/util/validation). Messages are kept word for word: clients show them to users.
import type { FieldError } from "./errors.js";

const QUALIFIED_NAME_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
const QUALIFIED_NAME_RE = new RegExp(`^${QUALIFIED_NAME_FMT}$`);
const QUALIFIED_NAME_ERR = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
/** The name part of a qualified name (and a label value) is at most 63 bytes: it has to fit a DNS label. */
const QUALIFIED_NAME_MAX = 63;
const LABEL_VALUE_MAX = 63;
const LABEL_VALUE_FMT = `(${QUALIFIED_NAME_FMT})?`;
const LABEL_VALUE_RE = new RegExp(`^${LABEL_VALUE_FMT}$`);
const LABEL_VALUE_ERR = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const DNS1123_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
const DNS1123_SUBDOMAIN_FMT = `${DNS1123_LABEL_FMT}(\\.${DNS1123_LABEL_FMT})*`;
const DNS1123_SUBDOMAIN_RE = new RegExp(`^${DNS1123_SUBDOMAIN_FMT}$`);
const DNS1123_SUBDOMAIN_ERR = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
const DNS1123_SUBDOMAIN_MAX = 253;
/** metadata.annotations may hold at most 256 KiB of keys plus values, so objects stay well under etcd's limit. */
export const TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;

/** Kubernetes' RegexError wording, including its doubled spaces between examples. */
export function regexError(msg: string, fmt: string, ...examples: string[]): string {
  if (examples.length === 0) return `${msg} (regex used for validation is '${fmt}')`;
  let s = `${msg} (e.g. `;
  examples.forEach((e, i) => {
    if (i > 0) s += " or ";
    s += `'${e}', `;
  });
  return `${s}regex used for validation is '${fmt}')`;
}

export const maxLenError = (n: number): string => `must be no more than ${n} characters`;
const emptyError = (): string => "must be non-empty";

function byteLength(s: string): number {
  return Buffer.byteLength(s, "utf8");
}

/** IsDNS1123Subdomain: a list of problems, empty when valid. */
export function isDNS1123Subdomain(value: string): string[] {
  const errs: string[] = [];
  if (byteLength(value) > DNS1123_SUBDOMAIN_MAX) errs.push(maxLenError(DNS1123_SUBDOMAIN_MAX));
  if (!DNS1123_SUBDOMAIN_RE.test(value)) errs.push(regexError(DNS1123_SUBDOMAIN_ERR, DNS1123_SUBDOMAIN_FMT, "example.com"));
  return errs;
}

/** IsQualifiedName: `[prefix/]name`, prefix a DNS-1123 subdomain, name <= 63 matching the qualified-name pattern. */
export function isQualifiedName(value: string): string[] {
  const errs: string[] = [];
  const parts = value.split("/");
  let name: string;
  if (parts.length === 1) {
    name = parts[0]!;
  } else if (parts.length === 2) {
    const prefix = parts[0]!;
    name = parts[1]!;
    if (prefix.length === 0) errs.push(`prefix part ${emptyError()}`);
    else for (const m of isDNS1123Subdomain(prefix)) errs.push(`prefix part ${m}`);
  } else {
    errs.push(
      `a qualified name ${regexError(QUALIFIED_NAME_ERR, QUALIFIED_NAME_FMT, "MyName", "my.name", "123-abc")} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
    );
    return errs;
  }
  if (name.length === 0) errs.push(`name part ${emptyError()}`);
  else if (byteLength(name) > QUALIFIED_NAME_MAX) errs.push(`name part ${maxLenError(QUALIFIED_NAME_MAX)}`);
  if (!QUALIFIED_NAME_RE.test(name)) errs.push(`name part ${regexError(QUALIFIED_NAME_ERR, QUALIFIED_NAME_FMT, "MyName", "my.name", "123-abc")}`);
  return errs;
}

/** IsValidLabelValue: empty, or <= 63 characters of the qualified-name pattern. */
export function isValidLabelValue(value: string): string[] {
  const errs: string[] = [];
  if (byteLength(value) > LABEL_VALUE_MAX) errs.push(maxLenError(LABEL_VALUE_MAX));
  if (!LABEL_VALUE_RE.test(value)) errs.push(regexError(LABEL_VALUE_ERR, LABEL_VALUE_FMT, "MyValue", "my_value", "12345"));
  return errs;
}

function invalid(field: string, value: unknown, detail: string): FieldError {
  return { type: "FieldValueInvalid", field, value, detail };
}

/** ValidateLabelName: one error per problem, all at `fieldPath`. */
export function validateLabelName(key: string, fieldPath: string): FieldError[] {
  return isQualifiedName(key).map((m) => invalid(fieldPath, key, m));
}

/**
 * metav1 ValidateLabels: keys are qualified names, values valid label values. Errors name the map's path
 * (e.g. "metadata.labels"), not the key, as Kubernetes does. Keys are checked in sorted order for stable output.
 */
export function validateLabels(labels: Record<string, string> | undefined | null, fieldPath: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const k of Object.keys(labels ?? {}).sort()) {
    errs.push(...validateLabelName(k, fieldPath));
    const v = labels![k];
    if (typeof v !== "string") {
      errs.push({ type: "FieldValueTypeInvalid", field: fieldPath, value: v, detail: "label values must be strings" });
      continue;
    }
    for (const m of isValidLabelValue(v)) errs.push(invalid(fieldPath, v, m));
  }
  return errs;
}

/** ValidateAnnotations: keys are qualified names ignoring case; keys plus values at most 256 KiB in total. */
export function validateAnnotations(annotations: Record<string, string> | undefined | null, fieldPath: string): FieldError[] {
  const errs: FieldError[] = [];
  let total = 0;
  for (const k of Object.keys(annotations ?? {}).sort()) {
    for (const m of isQualifiedName(k.toLowerCase())) errs.push(invalid(fieldPath, k, m));
    const v = annotations![k];
    total += byteLength(k) + (typeof v === "string" ? byteLength(v) : 0);
  }
  if (total > TOTAL_ANNOTATION_SIZE_LIMIT) {
    errs.push({ type: "FieldValueTooLong", field: fieldPath, detail: `must have at most ${TOTAL_ANNOTATION_SIZE_LIMIT} bytes` });
  }
  return errs;
}
