// The Kubernetes API version k8ts speaks, and its own release. The real kubectl dispatcher picks its client
// binary from `minor`, so these numbers decide which kubectl talks to us.
export const K8TS_VERSION = "0.1.0";
export const KUBE_MAJOR = "1";
export const KUBE_MINOR = "31";

export interface VersionInfo {
  major: string;
  minor: string;
  gitVersion: string;
  gitCommit: string;
  gitTreeState: string;
  buildDate: string;
  goVersion: string;
  compiler: string;
  platform: string;
}

export function versionInfo(): VersionInfo {
  return {
    major: KUBE_MAJOR,
    minor: KUBE_MINOR,
    gitVersion: `v${KUBE_MAJOR}.${KUBE_MINOR}.0-k8ts.${K8TS_VERSION}`,
    gitCommit: "",
    gitTreeState: "clean",
    buildDate: "1970-01-01T00:00:00Z",
    // Clients only display these two; they name the real runtime instead of a Go toolchain.
    goVersion: `node${process.versions.node}`,
    compiler: "tsc",
    platform: `${process.platform}/${process.arch === "x64" ? "amd64" : process.arch}`,
  };
}
