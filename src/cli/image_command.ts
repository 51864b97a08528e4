// `k8ts image build [busybox|pause] [--out DIR]` builds the base images locally (no registry needed) as
// docker-archive tarballs; `k8ts image load FILE --address SOCK | --node DIR` imports a tarball into a node's
// containerd (namespace k8s.io, where CRI looks); `k8ts image push SOURCE HOST:PORT/NAME[:TAG]` copies a local image
// to a registry (the local one `k8ts cluster up` runs) so pods pull it by name.
import { resolve } from "node:path";
import type { Command } from "./main.js";
import { BASE_IMAGES, DEFAULT_IMAGE_CACHE, IMAGE_TAGS, buildImage, type BaseImage } from "../kubelet/images/base_images.js";
import { pushImage } from "../kubelet/images/image_copy.js";
import { importImage } from "../kubelet/images/load_image.js";
import { containerdLayout } from "../kubelet/containerd/containerd_config.js";
import { parseFlags } from "./agent_command.js";

const USAGE = `usage: k8ts image build [busybox|pause] [--out DIR]
       k8ts image load FILE (--address SOCK | --node DIR)
       k8ts image push SOURCE HOST:PORT/NAME[:TAG] [--tls-verify] [--netns NAME]

build: writes DIR/<image>.tar (default: both images, DIR the current directory), tagged
       ${IMAGE_TAGS.busybox} and ${IMAGE_TAGS.pause}
load:  imports a docker-archive or OCI tarball into containerd, namespace k8s.io
  --address SOCK   containerd's socket
  --node DIR       a node started with \`k8ts agent --containerd-root DIR\` (its socket is DIR/containerd.sock)
push:  copies SOURCE to the registry with skopeo, over plain HTTP unless --tls-verify; SOURCE is busybox or pause
       (built and cached in --image-cache DIR, default ${DEFAULT_IMAGE_CACHE}), a docker-archive or OCI tarball, or
       an OCI layout directory DIR[:TAG]
  --netns NAME     push from inside a network namespace (a registry only reachable there)
`;

interface ImageFlags {
  out?: string;
  imageCache?: string;
  netns?: string;
  tlsVerify?: boolean;
  address?: string;
  node?: string;
  help?: boolean;
}

export const imageCommand: Command = async (args) => {
  const [sub, ...more] = args;
  let rest = more;
  const valued = ["--out", "--address", "--node", "--image-cache", "--netns"];
  const tlsVerify = rest.includes("--tls-verify");
  rest = rest.filter((a) => a !== "--tls-verify");
  const positional = rest.filter((a, i) => !a.startsWith("-") && !(i > 0 && valued.includes(rest[i - 1]!)));
  let flags: ImageFlags;
  try {
    flags = parseFlags<ImageFlags>(rest.filter((a) => !positional.includes(a)), {
      names: { "--out": ["out", "string"], "--address": ["address", "string"], "--node": ["node", "string"], "--image-cache": ["imageCache", "string"], "--netns": ["netns", "string"] },
    });
    flags.tlsVerify = tlsVerify;
  } catch (err) {
    process.stderr.write(`k8ts image: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (flags.help || sub === "-h" || sub === "--help") {
    process.stdout.write(USAGE);
    return 0;
  }
  if (sub === "build") {
    const kinds = positional.length > 0 ? positional : [...BASE_IMAGES];
    const bad = kinds.find((k) => !(BASE_IMAGES as readonly string[]).includes(k));
    if (bad) {
      process.stderr.write(`k8ts image build: unknown image ${JSON.stringify(bad)} (want busybox or pause)\n`);
      return 2;
    }
    for (const kind of kinds as BaseImage[]) {
      try {
        const file = await buildImage(kind, { outDir: resolve(flags.out ?? "."), force: true });
        process.stdout.write(`${file} ${IMAGE_TAGS[kind]}\n`);
      } catch (err) {
        process.stderr.write(`k8ts image build ${kind}: ${(err as Error).message}\n`);
        return 1;
      }
    }
    return 0;
  }
  if (sub === "load") {
    const address = flags.address ?? (flags.node ? containerdLayout(resolve(flags.node)).address : undefined);
    if (positional.length !== 1 || !address) {
      process.stderr.write(`k8ts image load: want one FILE and --address SOCK or --node DIR\n\n${USAGE}`);
      return 2;
    }
    try {
      await importImage(resolve(positional[0]!), address);
    } catch (err) {
      process.stderr.write(`k8ts image load: ${(err as Error).message}\n`);
      return 1;
    }
    return 0;
  }
  if (sub === "push") {
    if (positional.length !== 2) {
      process.stderr.write(`k8ts image push: want SOURCE and HOST:PORT/NAME[:TAG]\n\n${USAGE}`);
      return 2;
    }
    const [source, dest] = positional as [string, string];
    try {
      const file = (BASE_IMAGES as readonly string[]).includes(source)
        ? await buildImage(source as BaseImage, { outDir: flags.imageCache ?? DEFAULT_IMAGE_CACHE })
        : /^(docker-archive|oci-archive|oci|dir):/.test(source) ? source : resolve(source);
      await pushImage(file, dest, { tlsVerify: flags.tlsVerify, netns: flags.netns });
    } catch (err) {
      process.stderr.write(`k8ts image push: ${(err as Error).message}\n`);
      return 1;
    }
    process.stdout.write(`pushed ${dest}\n`);
    return 0;
  }
  process.stderr.write(`k8ts image: unknown subcommand ${JSON.stringify(sub ?? "")}\n\n${USAGE}`);
  return 2;
};
