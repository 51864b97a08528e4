import assert from "node:assert/strict";
import { test } from "node:test";
import { checkRegistryAddress, containerdConfig, containerdLayout, insecureRegistryHosts, registryHostsFile } from "./containerd_config.js";

test("the node containerd reads registry hosts from DIR/certs.d; a plain-HTTP registry gets an http:// hosts.toml", () => {
  const layout = containerdLayout("/var/lib/k8ts/n1");
  const config = containerdConfig(layout);
  assert.match(config, /\[plugins\."io\.containerd\.grpc\.v1\.cri"\.registry\]\n {2}config_path = "\/var\/lib\/k8ts\/n1\/certs\.d"/);
  assert.equal(registryHostsFile(layout, "10.100.1.1:5000"), "/var/lib/k8ts/n1/certs.d/10.100.1.1:5000/hosts.toml");
  const hosts = insecureRegistryHosts("10.100.1.1:5000");
  assert.match(hosts, /^server = "http:\/\/10\.100\.1\.1:5000"$/m);
  assert.match(hosts, /^\[host\."http:\/\/10\.100\.1\.1:5000"\]\n {2}capabilities = \["pull", "resolve"\]$/m);
});

test("registry addresses are HOST[:PORT]: no scheme, path or spaces", () => {
  for (const ok of ["10.0.0.1:5000", "registry.local", "[fd00::1]:5000", "localhost:5000"]) assert.equal(checkRegistryAddress(ok), ok);
  for (const bad of ["http://10.0.0.1:5000", "10.0.0.1:5000/x", "a b", "", "../etc", ".."]) assert.throws(() => checkRegistryAddress(bad), /invalid registry address/);
});
