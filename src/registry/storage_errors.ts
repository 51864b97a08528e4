// The one place storage errors become API Status errors (the registry boundary).
import { errors, StatusError, type GroupResource } from "../machinery/errors.js";
import { isStorageError } from "../storage/errors.js";

export interface ErrorTarget {
  gr: GroupResource;
  /** The object's name, for messages and Status details. */
  name?: string;
}

/** The Status error of too-old resource versions (watch and list), as Kubernetes words it. */
export function tooOldResourceVersion(requested: number | string, oldest: number | string): StatusError {
  return errors.gone(`too old resource version: ${requested} (${oldest})`);
}

/** Translates any error thrown by storage; StatusErrors pass through unchanged. */
export function translateStorageError(err: unknown, target: ErrorTarget): StatusError {
  if (err instanceof StatusError) return err;
  const name = target.name ?? "";
  if (!isStorageError(err)) return errors.internal(err instanceof Error ? err.message : String(err));
  switch (err.code) {
    case "KeyExists":
      return errors.alreadyExists(target.gr, name);
    case "KeyNotFound":
      return errors.notFound(target.gr, name);
    case "Conflict":
      return errors.conflict(target.gr, name, "the object has been modified; please apply your changes to the latest version and try again");
    case "Expired":
      return errors.gone(`too old resource version: ${err.message}`);
    case "FutureRevision":
      return errors.timeout(`Too large resource version: ${err.message}`);
    case "ValueTooLarge":
      // etcd answers "request is too large"; the API server reports it as an entity too large.
      return errors.tooLarge(`Request entity too large: ${err.message}`);
    case "InvalidContinue":
      return errors.badRequest(err.message);
    case "Unavailable":
    case "Closed":
      return errors.serviceUnavailable(`storage unavailable: ${err.message}`);
    default:
      return errors.internal(err.message);
  }
}
