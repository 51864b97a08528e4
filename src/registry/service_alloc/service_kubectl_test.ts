// Service allocation as kubectl 1.31 users see it against `k8ts server`: CLUSTER-IP and PORT(S) columns after
// `kubectl create service` and `kubectl expose`, the refusal of a taken cluster IP, and the `kubernetes` service
// keeping 10.96.0.1 across a restart.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { startServer } from "../../daemons/server.js";
import { silentLogger } from "../../util/log.js";

const KUBECTL = "/usr/lib/google-cloud-sdk/bin/kubectl.1.31";
const skip = existsSync(KUBECTL) ? false : `${KUBECTL} is not installed`;

function kubectl(kubeconfig: string, args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(KUBECTL, ["--kubeconfig", kubeconfig, ...args], { timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

test("kubectl shows allocated cluster IPs and node ports", { skip }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "k8ts-svc-kubectl-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  let server = await startServer({ dataDir: dir, port: 0, logger: silentLogger, controllers: false, scheduler: false });
  try {
    const kc = server.kubeconfigPath;
    const run = async (args: string[], input?: string) => {
      const r = await kubectl(kc, args, input);
      assert.equal(r.code, 0, `kubectl ${args.join(" ")}: ${r.stderr}`);
      return r.stdout;
    };
    await run(["create", "service", "nodeport", "web", "--tcp=80:8080"]);
    const np = await run(["get", "svc", "web", "--no-headers"]);
    assert.match(np, /^web\s+NodePort\s+10\.(9[6-9]|10[0-9]|11[01])\.\d+\.\d+\s+<none>\s+80:3\d{4}\/TCP\s/);

    await run(["create", "service", "clusterip", "api", "--tcp=443:8443"]);
    assert.match(await run(["get", "svc", "api", "--no-headers"]), /^api\s+ClusterIP\s+10\.\d+\.\d+\.\d+\s+<none>\s+443\/TCP\s/);
    await run(["create", "service", "clusterip", "db", "--clusterip=None"]);
    assert.match(await run(["get", "svc", "db", "--no-headers"]), /^db\s+ClusterIP\s+None\s/);

    await run(["run", "nginx", "--image=nginx", "--labels=app=nginx", "--port=80"]);
    await run(["expose", "pod", "nginx", "--port=8080", "--target-port=80", "--type=NodePort", "--name=nginx"]);
    assert.match(await run(["get", "svc", "nginx", "--no-headers"]), /^nginx\s+NodePort\s+10\.\d+\.\d+\.\d+\s+<none>\s+8080:3\d{4}\/TCP\s/);

    const fixed = (name: string, ip: string, nodePort?: number) => `apiVersion: v1
kind: Service
metadata:
  name: ${name}
spec:
  type: ${nodePort ? "NodePort" : "ClusterIP"}
  clusterIP: ${ip}
  ports:
  - port: 53${nodePort ? `\n    nodePort: ${nodePort}` : ""}
`;
    await run(["create", "-f", "-"], fixed("dns", "10.96.0.10", 30053));
    assert.match(await run(["get", "svc", "dns", "--no-headers"]), /^dns\s+NodePort\s+10\.96\.0\.10\s+<none>\s+53:30053\/TCP\s/);
    const taken = await kubectl(kc, ["create", "-f", "-"], fixed("dns2", "10.96.0.10"));
    assert.notEqual(taken.code, 0);
    assert.match(taken.stderr, /spec\.clusterIPs: Invalid value: "10\.96\.0\.10": failed to allocate IP 10\.96\.0\.10: provided IP is already allocated/);
    const portTaken = await kubectl(kc, ["create", "-f", "-"], fixed("dns3", "10.96.0.11", 30053));
    assert.match(portTaken.stderr, /spec\.ports\[0\]\.nodePort: Invalid value: 30053: provided port is already allocated/);
    const dry = await run(["create", "-f", "-", "--dry-run=server", "-o", "jsonpath={.spec.clusterIP}"], fixed("dry", "10.96.0.12"));
    assert.equal(dry, "10.96.0.12");
    // The dry run kept nothing: the IP is still free.
    await run(["create", "-f", "-"], fixed("real", "10.96.0.12"));

    await run(["delete", "svc", "dns"]);
    await run(["create", "-f", "-"], fixed("dns2", "10.96.0.10", 30053));

    const before = await run(["get", "svc", "-o", "jsonpath={range .items[*]}{.metadata.name}={.spec.clusterIP} {end}"]);
    assert.match(before, /kubernetes=10\.96\.0\.1 /);
    await server.stop();
    server = await startServer({ dataDir: dir, port: 0, logger: silentLogger, controllers: false, scheduler: false });
    const kc2 = server.kubeconfigPath;
    const after = await kubectl(kc2, ["get", "svc", "-o", "jsonpath={range .items[*]}{.metadata.name}={.spec.clusterIP} {end}"]);
    assert.equal(after.stdout, before);
    const again = await kubectl(kc2, ["create", "-f", "-"], fixed("dns4", "10.96.0.10"));
    assert.match(again.stderr, /provided IP is already allocated/);
  } finally {
    await server.stop();
  }
});
