// The short-lived pod that removes a local-path volume's directory on its node, as Kubernetes' local-path
// provisioner does it: busybox, the volume's parent directory mounted by hostPath, `rm -rf` of the one directory.
// Running it as a pod (rather than from the controller manager) is what lets the directory live on any node.
import { basename, dirname, isAbsolute, normalize } from "node:path";
import type { Pod } from "kubernetes-types/core/v1.js";
import type { KubeObject } from "../../api/object.js";

export type PodObject = Pod & KubeObject;

/** The busybox image every node has (the kubelet's base image; the controller may not import the kubelet). */
export const HELPER_IMAGE = "docker.io/library/busybox:latest";
/** Label on helper pods naming the volume they clean up. */
export const HELPER_LABEL = "local-path.k8ts.io/volume";
const MOUNT = "/data-parent";
const SIMULATED_EXIT_AFTER = "sim.k8ts.io/exit-after-helper-pod";

export function helperPodName(volume: string): string {
  // Pod names are DNS subdomains; "pvc-<uid>" volumes keep this well under 253 characters.
  return `helper-pod-delete-${volume}`;
}

/** Why a path may not be removed by a helper pod (it must be an absolute path with a real parent), or undefined. */
export function unsafePath(path: string): string | undefined {
  if (!isAbsolute(path)) return `path ${JSON.stringify(path)} is not absolute`;
  const clean = normalize(path).replace(/\/+$/, "");
  if (clean !== path.replace(/\/+$/, "")) return `path ${JSON.stringify(path)} is not normalized`;
  if (dirname(clean) === "/" || !basename(clean)) return `path ${JSON.stringify(path)} is too close to the root to remove`;
  return undefined;
}

export function helperPod(opts: { volume: string; node: string; path: string; namespace: string; image?: string }): PodObject {
  const dir = opts.path.replace(/\/+$/, "");
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: helperPodName(opts.volume),
      namespace: opts.namespace,
      labels: { [HELPER_LABEL]: opts.volume },
      // Hollow nodes (`--runtime simulated`) run containers forever unless told otherwise and have nothing on disk to
      // remove: this lets their helper finish, so volumes of simulated clusters are deleted too. Real runtimes
      // ignore it (see kubelet/runtime/simulated/script.ts).
      annotations: { [SIMULATED_EXIT_AFTER]: "0s" },
    },
    spec: {
      // Placed directly on the volume's node: no scheduling, every taint tolerated (the node may be cordoned).
      nodeName: opts.node,
      restartPolicy: "Never",
      tolerations: [{ operator: "Exists" }],
      terminationGracePeriodSeconds: 0,
      containers: [
        {
          name: "helper-pod",
          image: opts.image ?? HELPER_IMAGE,
          imagePullPolicy: "IfNotPresent",
          command: ["rm", "-rf", `${MOUNT}/${basename(dir)}`],
          volumeMounts: [{ name: "data", mountPath: MOUNT }],
        },
      ],
      volumes: [{ name: "data", hostPath: { path: dirname(dir), type: "DirectoryOrCreate" } }],
    },
  };
}
