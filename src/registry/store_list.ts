// Lists read from storage: continue tokens, exact resource versions and paged consistent lists. Pages are
// filtered by the selectors; more pages are read until `limit` matching items are found or the list ends, so a
// continue token always points at a storage page boundary.
import type { KubeList, StoredObject } from "../api/object.js";
import { errors } from "../machinery/errors.js";
import { isStorageError } from "../storage/errors.js";
import type { ListOptions } from "../storage/types.js";
import { decodeKv } from "./codec.js";
import type { GenericStore } from "./generic_store.js";
import type { ListParams, RequestContext } from "./rest.js";
import type { ObjectFilter } from "./selectors.js";
import { parseResourceVersion } from "./store_context.js";
import { listPrefix } from "./storage_keys.js";

const CONTINUE_EXPIRED =
  "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.";

export async function listFromStorage(store: GenericStore, op: { ctx: RequestContext; params: ListParams; filter: ObjectFilter }): Promise<KubeList<StoredObject>> {
  const { ctx, params, filter } = op;
  const prefix = listPrefix(store.def, filter.namespace);
  const limit = params.limit && params.limit > 0 ? params.limit : 0;
  const rv = params.resourceVersion ?? "";
  const first: ListOptions = { continue: params.continue || undefined };
  if (!params.continue && rv !== "" && rv !== "0") first.revision = parseResourceVersion(rv);
  const items: StoredObject[] = [];
  let opts: ListOptions = { ...first };
  let revision = 0;
  let cont: string | undefined;
  let remaining: number | undefined;
  try {
    for (;;) {
      const page = await store.deps.storage.list(prefix, limit ? { ...opts, limit: limit - items.length } : opts);
      revision = page.revision;
      for (const kv of page.items) {
        const obj = decodeKv(kv);
        if (filter.matches(obj)) items.push(obj);
      }
      cont = page.continue;
      remaining = page.remaining;
      if (!cont || !limit || items.length >= limit) break;
      opts = { continue: cont };
    }
  } catch (err) {
    if (isStorageError(err, "Expired")) {
      throw params.continue ? errors.gone(CONTINUE_EXPIRED) : errors.gone(`too old resource version: ${rv} (${err.message})`);
    }
    throw store.storageError(err);
  }
  const metadata: KubeList["metadata"] = { resourceVersion: String(revision) };
  if (cont) {
    metadata.continue = cont;
    // Only an unfiltered list knows how many items are left.
    if (filter.everything && remaining !== undefined) metadata.remainingItemCount = remaining;
  }
  return store.listOf(ctx, items, metadata);
}
