import assert from "node:assert/strict";
import http from "node:http";
import net from "node:net";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { request, startHarness, type Harness } from "./testing/harness.js";

describe("node agent proxy", () => {
  let h: Harness;
  let kubelet: http.Server;
  const seen: string[] = [];
  before(async () => {
    // A stand-in node agent: answers logs over HTTP and echoes bytes on upgraded exec connections.
    kubelet = http.createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      res.writeHead(200, { "content-type": "text/plain" });
      res.end("line 1\nline 2\n");
    });
    kubelet.on("upgrade", (req, socket) => {
      seen.push(`UPGRADE ${req.url} ${req.headers.upgrade}`);
      socket.write("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n\r\n");
      socket.on("data", (d: Buffer) => socket.write(Buffer.concat([Buffer.from("echo:"), d])));
    });
    await new Promise<void>((r) => kubelet.listen(0, "127.0.0.1", r));
    const port = (kubelet.address() as AddressInfo).port;
    h = await startHarness();
    await request(h.url, "POST", "/api/v1/nodes", {
      body: { apiVersion: "v1", kind: "Node", metadata: { name: "n1" }, status: { addresses: [{ type: "InternalIP", address: "127.0.0.1" }], daemonEndpoints: { kubeletEndpoint: { Port: port } } } },
    });
    await request(h.url, "POST", "/api/v1/namespaces/default/pods", {
      body: { apiVersion: "v1", kind: "Pod", metadata: { name: "web" }, spec: { nodeName: "n1", containers: [{ name: "app" }, { name: "side" }] } },
    });
    await request(h.url, "POST", "/api/v1/namespaces/default/pods", {
      body: { apiVersion: "v1", kind: "Pod", metadata: { name: "one" }, spec: { nodeName: "n1", containers: [{ name: "only" }] } },
    });
  });
  after(async () => {
    await h.close();
    kubelet.closeAllConnections();
    kubelet.close();
  });

  it("forwards logs to /containerLogs with the query", async () => {
    const r = await request(h.url, "GET", "/api/v1/namespaces/default/pods/web/log?container=side&tailLines=5&follow=true");
    assert.equal(r.status, 200);
    assert.equal(r.text, "line 1\nline 2\n");
    assert.equal(seen.at(-1), "GET /containerLogs/default/web/side?tailLines=5&follow=true");
    await request(h.url, "GET", "/api/v1/namespaces/default/pods/one/log");
    assert.equal(seen.at(-1), "GET /containerLogs/default/one/only");
  });

  it("asks for a container when the pod has several", async () => {
    const r = await request(h.url, "GET", "/api/v1/namespaces/default/pods/web/log");
    assert.equal(r.status, 400);
    assert.equal(r.json().message, "a container name must be specified for pod web, choose one of: [app side]");
  });

  it("relays upgraded exec connections byte for byte", async () => {
    const port = Number(new URL(h.url).port);
    const sock = net.connect(port, "127.0.0.1");
    await new Promise<void>((r) => sock.on("connect", () => r()));
    sock.write("POST /api/v1/namespaces/default/pods/one/exec?command=sh&stdin=true HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: v4.channel.k8s.io\r\n\r\n");
    let got = "";
    await new Promise<void>((resolve) => {
      sock.on("data", (d: Buffer) => {
        got += d.toString();
        if (got.includes("\r\n\r\n") && !got.includes("echo:")) sock.write("ping");
        if (got.includes("echo:ping")) resolve();
      });
    });
    assert.match(got, /^HTTP\/1.1 101/);
    assert.equal(seen.at(-1), "UPGRADE /exec/default/one/only?command=sh&stdin=true SPDY/3.1");
    sock.destroy();
  });

  it("refuses upgrades on other paths with a Status", async () => {
    const port = Number(new URL(h.url).port);
    const sock = net.connect(port, "127.0.0.1");
    sock.write("GET /api/v1/namespaces/default/configmaps?watch=true HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n");
    const text = await new Promise<string>((resolve) => {
      let t = "";
      sock.on("data", (d: Buffer) => (t += d.toString()));
      sock.on("close", () => resolve(t));
    });
    assert.match(text, /^HTTP\/1.1 400/);
    assert.match(text, /"kind":"Status"/);
  });

  it("runs CONNECT admission before proxying", async () => {
    const { errors } = await import("../machinery/errors.js");
    const seenOps: string[] = [];
    const h2 = await startHarness({
      registry: h.registry,
      admission: {
        mutating: [],
        validating: [
          {
            name: "no-exec",
            validate: async (a) => {
              seenOps.push(`${a.operation} ${a.subresource}`);
              if (a.subresource === "exec") throw errors.forbidden({ group: "", resource: "pods" }, a.name ?? "", "exec is not allowed");
            },
          },
        ],
      },
    });
    try {
      assert.equal((await request(h2.url, "GET", "/api/v1/namespaces/default/pods/one/log")).status, 200);
      const r = await request(h2.url, "POST", "/api/v1/namespaces/default/pods/one/exec?command=ls");
      assert.equal(r.status, 403);
      assert.deepEqual(seenOps, ["CONNECT log", "CONNECT exec"]);
    } finally {
      await h2.server.close();
    }
  });

  it("relays WebSocket upgrades to the node agent, which serves or refuses them", async () => {
    const port = Number(new URL(h.url).port);
    const sock = net.connect(port, "127.0.0.1");
    sock.write("GET /api/v1/namespaces/default/pods/one/exec?command=sh&stdout=true HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Protocol: v5.channel.k8s.io\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n");
    const text = await new Promise<string>((resolve) => {
      let t = "";
      sock.on("data", (d: Buffer) => {
        t += d.toString();
        if (/101 Switching/.test(t)) {
          sock.destroy();
          resolve(t);
        }
      });
      sock.on("close", () => resolve(t));
    });
    assert.match(text, /^HTTP\/1.1 101/);
    assert.equal(seen.at(-1), "UPGRADE /exec/default/one/only?command=sh&stdout=true websocket");
  });
});
