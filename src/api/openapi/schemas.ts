// The OpenAPI v3 component schemas of every Kubernetes type, generated at build time by scripts/gen_openapi.mjs
// from the kubernetes-types declarations into generated/openapi_schemas.json at the repository root.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { mapResolver, type OpenAPISchema, type SchemaResolver } from "../../machinery/openapi_schema.js";

// This module lives three levels below the repository root both as source (src/api/openapi) and compiled
// (dist/api/openapi), so one relative URL serves both.
const REPO_ROOT = new URL("../../../", import.meta.url);
export const SCHEMAS_FILE = fileURLToPath(new URL("generated/openapi_schemas.json", REPO_ROOT));
const GENERATOR = fileURLToPath(new URL("scripts/gen_openapi.mjs", REPO_ROOT));

let cached: Record<string, OpenAPISchema> | undefined;
let cachedResolver: SchemaResolver | undefined;

/** All component schemas keyed by name ("io.k8s.api.apps.v1.Deployment"). Generates the file on first use when a
 *  build has not; read once per process. Callers must not mutate the result. */
export function loadSchemas(): Record<string, OpenAPISchema> {
  if (cached) return cached;
  if (!existsSync(SCHEMAS_FILE)) generate();
  const parsed: unknown = JSON.parse(readFileSync(SCHEMAS_FILE, "utf8"));
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new Error(`openapi schemas: ${SCHEMAS_FILE} does not hold a JSON object; rebuild with scripts/install_deps.sh`);
  }
  cached = parsed as Record<string, OpenAPISchema>;
  return cached;
}

/** A resolver over loadSchemas(), for patches, apply and field validation. */
export function schemaResolver(): SchemaResolver {
  cachedResolver ??= mapResolver(loadSchemas());
  return cachedResolver;
}

function generate(): void {
  if (!existsSync(GENERATOR)) {
    throw new Error(`openapi schemas: ${SCHEMAS_FILE} is missing and ${GENERATOR} is not there to make it; run the build (scripts/install_deps.sh)`);
  }
  try {
    execFileSync(process.execPath, [GENERATOR], { stdio: ["ignore", "ignore", "pipe"], timeout: 60_000 });
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    throw new Error(`openapi schemas: ${SCHEMAS_FILE} is missing and generating it failed (run scripts/install_deps.sh): ${detail}`);
  }
}
