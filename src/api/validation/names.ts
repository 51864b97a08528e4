// Name and identifier syntax checks (k8s.io/apimachinery/pkg/util/validation), with Kubernetes' messages.
import { isIP } from "node:net";
import { isDNS1123Subdomain, regexError, maxLenError } from "../../machinery/label_validation.js";
import { invalid, required, type FieldError } from "./field.js";

export { isDNS1123Subdomain, isQualifiedName, isValidLabelValue } from "../../machinery/label_validation.js";

const DNS1123_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
const DNS1123_LABEL_RE = new RegExp(`^${DNS1123_LABEL_FMT}$`);
/** DNS labels are at most 63 octets (RFC 1035). */
const DNS_LABEL_MAX = 63;
const DNS1035_LABEL_FMT = "[a-z]([-a-z0-9]*[a-z0-9])?";
const DNS1035_LABEL_RE = new RegExp(`^${DNS1035_LABEL_FMT}$`);

export function isDNS1123Label(v: string): string[] {
  const errs: string[] = [];
  if (v.length > DNS_LABEL_MAX) errs.push(maxLenError(DNS_LABEL_MAX));
  if (!DNS1123_LABEL_RE.test(v)) {
    errs.push(regexError("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character", DNS1123_LABEL_FMT, "my-name", "123-abc"));
  }
  return errs;
}

export function isDNS1035Label(v: string): string[] {
  const errs: string[] = [];
  if (v.length > DNS_LABEL_MAX) errs.push(maxLenError(DNS_LABEL_MAX));
  if (!DNS1035_LABEL_RE.test(v)) {
    errs.push(regexError("a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character", DNS1035_LABEL_FMT, "my-name", "abc-123"));
  }
  return errs;
}

const ENV_VAR_FMT = "[-._a-zA-Z][-._a-zA-Z0-9]*";
const ENV_VAR_RE = new RegExp(`^${ENV_VAR_FMT}$`);
export function isEnvVarName(v: string): string[] {
  const errs: string[] = [];
  if (!ENV_VAR_RE.test(v)) {
    errs.push(regexError("a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit", ENV_VAR_FMT, "my.env-name", "MY_ENV.NAME", "MyEnvName1"));
  }
  return errs;
}

const CONFIG_KEY_FMT = "[-._a-zA-Z0-9]+";
const CONFIG_KEY_RE = new RegExp(`^${CONFIG_KEY_FMT}$`);
/** Keys of ConfigMap and Secret data: they become file names, so the subdomain length limit applies. */
const CONFIG_KEY_MAX = 253;
export function isConfigMapKey(v: string): string[] {
  const errs: string[] = [];
  if (v.length > CONFIG_KEY_MAX) errs.push(maxLenError(CONFIG_KEY_MAX));
  if (!CONFIG_KEY_RE.test(v)) errs.push(regexError("a valid config key must consist of alphanumeric characters, '-', '_' or '.'", CONFIG_KEY_FMT, "key.name", "KEY_NAME", "key-name"));
  if (v === ".") errs.push("must not be '.'");
  else if (v === "..") errs.push("must not be '..'");
  else if (v.startsWith("..")) errs.push("must not start with '..'");
  return errs;
}

export function isValidPortNum(port: number): string[] {
  return Number.isInteger(port) && port >= 1 && port <= 65535 ? [] : ["must be between 1 and 65535, inclusive"];
}

/** IANA service names (RFC 6335): what a named port may be called. */
const PORT_NAME_MAX = 15;
export function isValidPortName(name: string): string[] {
  const errs: string[] = [];
  if (name.length > PORT_NAME_MAX) errs.push(maxLenError(PORT_NAME_MAX));
  if (!/^[-a-z0-9]+$/.test(name)) errs.push("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)");
  if (!/[a-z]/.test(name)) errs.push("must contain at least one letter (a-z)");
  if (name.includes("--")) errs.push("must not contain consecutive hyphens");
  if (name.startsWith("-") || name.endsWith("-")) errs.push("must not begin or end with a hyphen");
  return errs;
}

export function isValidIP(v: string): string[] {
  return isIP(v) === 0 ? ["must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"] : [];
}

export type NameRule = "DNS1123Subdomain" | "DNS1123Label" | "DNS1035Label";
const RULES: Record<NameRule, (v: string) => string[]> = {
  DNS1123Subdomain: isDNS1123Subdomain,
  DNS1123Label: isDNS1123Label,
  DNS1035Label: isDNS1035Label,
};

/** Errors at `field` for a name that must follow `rule`. */
export function validateName(name: string | undefined, field: string, rule: NameRule): FieldError[] {
  if (!name) return [required(field, "name or generateName is required")];
  return RULES[rule](name).map((m) => invalid(field, name, m));
}

/** Checks `value` against a syntax rule returning messages, as errors at `field`. */
export function check(value: string, field: string, rule: (v: string) => string[]): FieldError[] {
  return rule(value).map((m) => invalid(field, value, m));
}

/** Path segment names (IsValidPathSegmentName): names of cluster objects that become URL path segments. */
export function isValidPathSegmentName(name: string): string[] {
  if (name === "." || name === "..") return [`may not be '${name}'`];
  const errs: string[] = [];
  for (const c of ["/", "%"]) if (name.includes(c)) errs.push(`may not contain '${c}'`);
  return errs;
}
