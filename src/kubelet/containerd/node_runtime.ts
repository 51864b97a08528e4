// The container runtime of a real node: connect to a containerd (or start the node's own in a directory, optionally
// inside a network namespace), make sure busybox and pause are imported, and answer a CRI runtime over it.
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Logger } from "../../util/log.js";
import { silentLogger } from "../../util/log.js";
import { ensureBaseImages } from "../images/load_image.js";
import { CriRuntime } from "../runtime/cri/cri_runtime.js";
import { ContainerdInstance, canConnect, writeCniConfig, writeInsecureRegistries } from "./containerd_instance.js";
import { CNI_CONF_FILE, containerdLayout } from "./containerd_config.js";

export interface NodeRuntimeOptions {
  /** Connect to this containerd socket (left running on close). */
  address?: string;
  /** Or start containerd with its root, state, sockets and CNI config under this directory (stopped on close). */
  root?: string;
  /** Network namespace (under /var/run/netns) for a containerd started here. */
  netns?: string;
  /** Pod subnet for the CNI config until the Node's spec.podCIDR arrives. */
  podCIDR?: string;
  /** Where built base image tarballs are cached. */
  imageCache?: string;
  /** Registries (HOST:PORT) to pull from over plain HTTP; only for a containerd laid out by k8ts. */
  insecureRegistries?: string[];
  log?: Logger;
}

export interface NodeRuntime {
  runtime: CriRuntime;
  address: string;
  /** The containerd this process started, if any. */
  containerd?: ContainerdInstance;
  /** Closes the client and stops a containerd started here; pods keep running in their shims. */
  close(): Promise<void>;
}

/** The node directory of a socket laid out by containerdLayout, when it is one (so its CNI config can be written). */
function layoutDirOf(address: string): string | undefined {
  const dir = dirname(address);
  return existsSync(join(dir, "config.toml")) && existsSync(join(dir, "cni")) ? dir : undefined;
}

export async function startNodeRuntime(opts: NodeRuntimeOptions): Promise<NodeRuntime> {
  const log = opts.log ?? silentLogger;
  if (!opts.address === !opts.root) throw new Error("node runtime: give exactly one of a containerd address or a containerd root directory");
  let containerd: ContainerdInstance | undefined;
  let address: string;
  let setPodCIDR: ((cidr: string) => Promise<void>) | undefined;
  let logRoot: string | undefined;
  if (opts.root && (await canConnect(containerdLayout(opts.root).address))) {
    // A containerd left running for this directory (an agent that was killed): use it rather than fail.
    log.info("containerd already running for this root; using it", { root: opts.root });
    opts = { ...opts, address: containerdLayout(opts.root).address, root: undefined };
  }
  if (opts.root) {
    const inst = await ContainerdInstance.start({ dir: opts.root, netns: opts.netns, podCIDR: opts.podCIDR, log });
    containerd = inst;
    address = inst.address;
    setPodCIDR = (cidr) => inst.setPodCIDR(cidr);
    logRoot = join(opts.root, "pods");
  } else {
    address = opts.address!;
    const dir = layoutDirOf(address);
    if (dir) {
      const layout = containerdLayout(dir);
      setPodCIDR = (cidr) => writeCniConfig(layout, cidr);
      if (opts.podCIDR && !existsSync(join(layout.cniConfDir, CNI_CONF_FILE))) await writeCniConfig(layout, opts.podCIDR);
      logRoot = join(dir, "pods");
    }
  }
  const layoutDir = containerd?.layout.dir ?? layoutDirOf(address);
  if (opts.insecureRegistries?.length) {
    if (layoutDir) await writeInsecureRegistries(containerdLayout(layoutDir), opts.insecureRegistries);
    else log.warn("insecure registries need a containerd started by k8ts; configure this containerd's hosts.toml yourself", { registries: opts.insecureRegistries });
  }
  try {
    const imported = await ensureBaseImages(address, { cacheDir: opts.imageCache });
    if (imported.length > 0) log.info("imported base images", { images: imported });
  } catch (err) {
    await containerd?.stop();
    throw err;
  }
  const runtime = new CriRuntime({ address, log, setPodCIDR, podLogRoot: logRoot });
  return {
    runtime,
    address,
    containerd,
    close: async () => {
      runtime.close();
      await containerd?.stop();
    },
  };
}
