// Free ports on the cluster's host address, chosen once and kept in the state so the kubeconfig stays valid when
// the cluster comes back.
import { createSocket } from "node:dgram";
import { createServer } from "node:net";

function freeTcp(host: string, port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(port, host, () => {
      const addr = s.address();
      s.close(() => resolve(typeof addr === "object" && addr ? addr.port : 0));
    });
  });
}

function udpFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createSocket("udp4");
    s.once("error", () => resolve(false));
    s.bind(port, host, () => s.close(() => resolve(true)));
  });
}

export async function freePort(host: string): Promise<number> {
  return freeTcp(host);
}

/** A port free for both TCP and UDP (DNS serves both). */
export async function freeDualPort(host: string): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const p = await freeTcp(host);
    if (await udpFree(host, p)) return p;
  }
  throw new Error(`no port free for both TCP and UDP on ${host}`);
}
