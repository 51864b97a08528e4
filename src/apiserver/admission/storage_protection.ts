// StorageObjectInUseProtection admission, as Kubernetes' plugin: every new PersistentVolumeClaim gets the finalizer
// kubernetes.io/pvc-protection and every new PersistentVolume kubernetes.io/pv-protection. A deleted claim or volume
// then stays (Terminating) until the pvc-protection / pv-protection controllers see it unused (no pod uses the claim;
// the volume is not Bound) and remove the finalizer, so a volume's data is never reclaimed under a running pod.
import type { AdmissionAttributes, AdmissionRequestKind, MutatingAdmissionPlugin } from "../types.js";

export const PVC_PROTECTION_FINALIZER = "kubernetes.io/pvc-protection";
export const PV_PROTECTION_FINALIZER = "kubernetes.io/pv-protection";

const FINALIZERS: Record<string, string> = { persistentvolumeclaims: PVC_PROTECTION_FINALIZER, persistentvolumes: PV_PROTECTION_FINALIZER };

export class StorageObjectInUseProtection implements MutatingAdmissionPlugin {
  readonly name = "StorageObjectInUseProtection";

  handles(req: AdmissionRequestKind): boolean {
    return req.operation === "CREATE" && req.group === "" && FINALIZERS[req.resource] !== undefined && !req.subresource;
  }

  async admit(attrs: AdmissionAttributes): Promise<void> {
    if (!this.handles(attrs) || !attrs.object) return;
    const finalizer = FINALIZERS[attrs.resource]!;
    const meta = attrs.object.metadata;
    if (!meta || meta.finalizers?.includes(finalizer)) return;
    meta.finalizers = [...(meta.finalizers ?? []), finalizer];
  }
}
