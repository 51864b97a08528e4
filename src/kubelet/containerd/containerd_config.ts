// containerd's config.toml for one node's own instance: its own root, state, sockets, runc root and CNI directories,
// so several instances run side by side, with the CRI settings this machine kind needs (see
// shared/notes/runtime-on-this-machine.md: cgroupfs, restricted oom_score_adj, loopback streaming server).
import { join } from "node:path";
import { PAUSE_IMAGE } from "../images/base_images.js";

/** The directories and sockets of one containerd instance, all under one node directory. */
export interface ContainerdLayout {
  dir: string;
  root: string;
  state: string;
  address: string;
  ttrpcAddress: string;
  debugAddress: string;
  runcRoot: string;
  cniConfDir: string;
  cniIpamDir: string;
  configFile: string;
  logFile: string;
  /** CRI registry config_path: <host:port>/hosts.toml per registry (read by containerd at each pull). */
  registryConfigDir: string;
}

export function containerdLayout(dir: string): ContainerdLayout {
  return {
    dir,
    root: join(dir, "root"),
    state: join(dir, "state"),
    address: join(dir, "containerd.sock"),
    ttrpcAddress: join(dir, "containerd.sock.ttrpc"),
    debugAddress: join(dir, "debug.sock"),
    runcRoot: join(dir, "runc"),
    cniConfDir: join(dir, "cni", "net.d"),
    cniIpamDir: join(dir, "cni", "ipam"),
    configFile: join(dir, "config.toml"),
    logFile: join(dir, "containerd.log"),
    registryConfigDir: join(dir, "certs.d"),
  };
}

// Plugins that only add noise on this machine kind (no btrfs/zfs/devmapper/aufs, no tracing collector).
const DISABLED_PLUGINS = [
  "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs",
  "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.aufs",
  "io.containerd.tracing.processor.v1.otlp",
  "io.containerd.internal.v1.tracing",
];

const q = (s: string): string => JSON.stringify(s);

export interface ContainerdConfigOptions {
  /** Default PAUSE_IMAGE; must equal the imported pause tag exactly. */
  sandboxImage?: string;
  runcBinary?: string;
  cniBinDir?: string;
}

export function containerdConfig(layout: ContainerdLayout, opts: ContainerdConfigOptions = {}): string {
  const cri = `plugins."io.containerd.grpc.v1.cri"`;
  return `version = 2
root = ${q(layout.root)}
state = ${q(layout.state)}
disabled_plugins = [${DISABLED_PLUGINS.map(q).join(", ")}]

[grpc]
  address = ${q(layout.address)}

[ttrpc]
  address = ${q(layout.ttrpcAddress)}

[debug]
  address = ${q(layout.debugAddress)}
  level = "info"

[${cri}]
  sandbox_image = ${q(opts.sandboxImage ?? PAUSE_IMAGE)}
  # The bounding set here lacks CAP_SYS_RESOURCE: without this every sandbox fails to start.
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"

[${cri}.containerd]
  snapshotter = "overlayfs"
  default_runtime_name = "runc"

[${cri}.containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"

[${cri}.containerd.runtimes.runc.options]
  BinaryName = ${q(opts.runcBinary ?? "/usr/sbin/runc")}
  Root = ${q(layout.runcRoot)}
  # No systemd on this machine kind: cgroupfs with cgroup parents like /kubepods/pod<uid>.
  SystemdCgroup = false

[${cri}.registry]
  config_path = ${q(layout.registryConfigDir)}

[${cri}.cni]
  bin_dir = ${q(opts.cniBinDir ?? "/usr/lib/cni")}
  conf_dir = ${q(layout.cniConfDir)}
  max_conf_num = 1
`;
}

export interface CniConfigOptions {
  subnet: string;
  /** Linux bridge name inside the node's network namespace (default cni0). */
  bridge?: string;
  mtu?: number;
}

/** The CNI conflist of a node: bridge + host-local over the node's pod subnet, loopback, portmap for hostPort. */
export function cniConflist(layout: ContainerdLayout, opts: CniConfigOptions): string {
  const [base] = opts.subnet.split("/");
  const octets = (base ?? "").split(".").map(Number);
  if (octets.length !== 4 || octets.some((o) => !Number.isInteger(o) || o < 0 || o > 255)) throw new Error(`cni config: invalid subnet ${JSON.stringify(opts.subnet)}`);
  const gateway = [octets[0], octets[1], octets[2], (octets[3] ?? 0) + 1].join(".");
  return JSON.stringify(
    {
      cniVersion: "1.0.0",
      name: "podnet",
      plugins: [
        {
          type: "bridge",
          bridge: opts.bridge ?? "cni0",
          isGateway: true,
          ipMasq: false,
          hairpinMode: true,
          // Room for a VXLAN header between nodes (flannel's 1450).
          mtu: opts.mtu ?? 1450,
          ipam: { type: "host-local", dataDir: layout.cniIpamDir, ranges: [[{ subnet: opts.subnet, gateway }]], routes: [{ dst: "0.0.0.0/0" }] },
        },
        { type: "loopback" },
        { type: "portmap", capabilities: { portMappings: true } },
      ],
    },
    null,
    2,
  );
}

export const CNI_CONF_FILE = "10-podnet.conflist";

/** A registry address as containerd's hosts directory names it: HOST:PORT (an IPv6 host in brackets). */
export function checkRegistryAddress(hostPort: string): string {
  if (!/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9][A-Za-z0-9.-]*)(:\d{1,5})?$/.test(hostPort)) throw new Error(`invalid registry address ${JSON.stringify(hostPort)}: want HOST[:PORT]`);
  return hostPort;
}

/** hosts.toml for a registry served over plain HTTP (no TLS), for pulls and name resolution. */
export function insecureRegistryHosts(hostPort: string): string {
  const url = `http://${checkRegistryAddress(hostPort)}`;
  return `# Written by k8ts: ${hostPort} is a registry without TLS.
server = ${q(url)}

[host.${q(url)}]
  capabilities = ["pull", "resolve"]
`;
}

/** The hosts.toml path of a registry in a node's registry config directory. */
export function registryHostsFile(layout: ContainerdLayout, hostPort: string): string {
  return join(layout.registryConfigDir, checkRegistryAddress(hostPort), "hosts.toml");
}
