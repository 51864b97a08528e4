// DefaultStorageClass admission, as Kubernetes' plugin: a new PersistentVolumeClaim that names no class
// (spec.storageClassName absent or null; "" means "no class" and is kept) gets the default StorageClass, the one
// annotated storageclass.kubernetes.io/is-default-class: "true" (or the beta annotation). With several defaults the
// newest wins, as since Kubernetes 1.26; with none the claim is left alone.
import type { StoredObject } from "../../api/object.js";
import type { Registry, RequestContext } from "../../registry/rest.js";
import { ADMIN_USER } from "../pipeline.js";
import type { AdmissionAttributes, AdmissionRequestKind, MutatingAdmissionPlugin } from "../types.js";

const DEFAULT_ANNOTATIONS = ["storageclass.kubernetes.io/is-default-class", "storageclass.beta.kubernetes.io/is-default-class"];

function isDefault(sc: StoredObject): boolean {
  return DEFAULT_ANNOTATIONS.some((a) => sc.metadata.annotations?.[a] === "true");
}

/** The default class among these, or undefined: the newest by creationTimestamp, then the first by name. */
export function pickDefaultClass(classes: StoredObject[]): string | undefined {
  const defaults = classes.filter(isDefault);
  defaults.sort((a, b) => (b.metadata.creationTimestamp ?? "").localeCompare(a.metadata.creationTimestamp ?? "") || (a.metadata.name ?? "").localeCompare(b.metadata.name ?? ""));
  return defaults[0]?.metadata.name;
}

export class DefaultStorageClass implements MutatingAdmissionPlugin {
  readonly name = "DefaultStorageClass";

  constructor(private readonly registry: Registry) {}

  handles(req: AdmissionRequestKind): boolean {
    return req.operation === "CREATE" && req.group === "" && req.resource === "persistentvolumeclaims" && !req.subresource;
  }

  async admit(attrs: AdmissionAttributes): Promise<void> {
    if (!this.handles(attrs) || !attrs.object) return;
    const spec = (attrs.object as { spec?: { storageClassName?: string | null } }).spec;
    if (!spec || (spec.storageClassName !== undefined && spec.storageClassName !== null)) return;
    const store = this.registry.store("storage.k8s.io", "storageclasses");
    if (!store) return;
    const ctx: RequestContext = { version: "v1", user: { ...ADMIN_USER, groups: [...ADMIN_USER.groups] }, dryRun: false, fieldValidation: "Ignore", warnings: [] };
    // From the watch cache: a class made a moment ago may be missed, as with Kubernetes' informer-backed lister.
    const list = await store.list(ctx, { resourceVersion: "0" });
    const name = pickDefaultClass(list.items);
    if (name) spec.storageClassName = name;
  }
}
