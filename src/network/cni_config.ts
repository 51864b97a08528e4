// The node's CNI conflist for its containerd: bridge cni0 + host-local over the node's pod subnet, portmap for
// hostPort, loopback. Written atomically (containerd reloads the directory and must never see half a file).
import { mkdir, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { VXLAN_MTU } from "./vxlan.js";

export const CNI_CONF_FILE = "10-podnet.conflist";

export function podnetConflist(opts: { podCIDR: string; ipamDataDir: string }): string {
  const base = opts.podCIDR.split("/")[0]!.split(".").map(Number);
  const gateway = [base[0], base[1], base[2], (base[3] ?? 0) + 1].join(".");
  return JSON.stringify(
    {
      cniVersion: "1.0.0",
      name: "podnet",
      plugins: [
        {
          type: "bridge",
          bridge: "cni0",
          isGateway: true,
          // Masquerading is the network agent's (one rule for the node, not one per pod).
          ipMasq: false,
          hairpinMode: true,
          mtu: VXLAN_MTU,
          ipam: { type: "host-local", dataDir: opts.ipamDataDir, ranges: [[{ subnet: opts.podCIDR, gateway }]], routes: [{ dst: "0.0.0.0/0" }] },
        },
        { type: "portmap", capabilities: { portMappings: true } },
        { type: "loopback" },
      ],
    },
    null,
    2,
  );
}

export async function writeConflist(confDir: string, opts: { podCIDR: string; ipamDataDir: string }): Promise<void> {
  await mkdir(confDir, { recursive: true });
  const target = join(confDir, CNI_CONF_FILE);
  // The temp name must not end in .conflist, or containerd could load it.
  const tmp = `${target}.tmp`;
  await writeFile(tmp, podnetConflist(opts));
  await rename(tmp, target);
}
