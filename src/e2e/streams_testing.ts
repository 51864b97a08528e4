// For the streams end-to-end tests: a node agent in this process on a containerd the test started, with its
// endpoints (and the streaming handler) on loopback so the API server's pods/exec|attach|portforward proxy reaches it.
import http from "node:http";
import type { Client } from "../client/rest_client.js";
import { Kubelet } from "../kubelet/kubelet.js";
import { startKubeletServer, type KubeletServer } from "../kubelet/kubelet_server.js";
import type { NodeConfig } from "../kubelet/node_status.js";
import { CriProber } from "../kubelet/runtime/cri/cri_prober.js";
import type { CriRuntime } from "../kubelet/runtime/cri/cri_runtime.js";
import type { TestNode } from "../kubelet/runtime/cri/testing.js";
import { streamingHandlerFor } from "../kubelet/streaming/streaming_handler.js";
import { silentLogger, type Logger } from "../util/log.js";

export interface StreamingAgent {
  runtime: CriRuntime;
  endpoints: KubeletServer;
  stop(): Promise<void>;
}

export async function startStreamingAgent(client: Client, node: TestNode, nodeName: string, streamLog: Logger = silentLogger): Promise<StreamingAgent> {
  const runtime = node.newRuntime();
  const config: NodeConfig = { address: "127.0.0.1", osImage: "k8ts e2e node" };
  const kubelet = new Kubelet({ client, nodeName, runtime, prober: new CriProber({ runtime, netns: node.netns }), node: config, log: silentLogger, recordEvents: false });
  const streaming = streamingHandlerFor(runtime, { netns: node.netns, pods: () => kubelet.pods(), log: streamLog });
  const endpoints = await startKubeletServer(kubelet, { host: "127.0.0.1", port: 0, streaming });
  // The port is known only once the server listens; the Node reports it from the first status on.
  config.kubeletPort = endpoints.port;
  const ac = new AbortController();
  const running = kubelet.run(ac.signal);
  return {
    runtime,
    endpoints,
    stop: async () => {
      ac.abort();
      await running;
      await endpoints.close();
      runtime.close();
    },
  };
}

/** A pod manifest (JSON) bound to nodeName with a 5 s grace period. */
export function podOnNode(nodeName: string, name: string, spec: Record<string, unknown>): string {
  return JSON.stringify({ apiVersion: "v1", kind: "Pod", metadata: { name }, spec: { nodeName, terminationGracePeriodSeconds: 5, ...spec } });
}

/** GET http://127.0.0.1:port/path (a port-forward's local end), answering the body. */
export function httpGet(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: "127.0.0.1", port, path, agent: false }, (res) => {
      let body = "";
      res.on("data", (d: Buffer) => (body += d.toString()));
      res.on("end", () => resolve(body));
    });
    req.on("error", reject);
  });
}
