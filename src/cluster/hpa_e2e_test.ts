// The HPA on a real cluster (`k8ts cluster up --runtime containerd`, two nodes): a Deployment of busybox CPU
// burners (request 100m, limit 150m so four of them take at most 0.6 of a core on a shared machine) behind an HPA
// made by `kubectl autoscale --cpu-percent=50 --min=1 --max=4`. Usage comes from the containers' real cgroup stats
// (containerd -> agent /stats/summary -> metrics server -> metrics.k8s.io): `kubectl top pods` shows it, `kubectl
// get hpa` shows TARGETS like "cpu: 150%/50%", and the Deployment scales up (to 4 when the burners get their CPU).
// The server runs with --metric-resolution 5s and --horizontal-pod-autoscaler-sync-period 5s (defaults 15 s each) to
// keep the test short; the times to scale are logged, never asserted. Beside it, a busybox httpd pod annotated prometheus.io/scrape serves
// Prometheus text: its node's agent scrapes it by pod IP and custom.metrics.k8s.io serves the value.
// Needs root and the containerd prerequisites; skipped otherwise.
import assert from "node:assert/strict";
import { test } from "node:test";
import { resources } from "../client/resources.js";
import { IMAGE_TAGS } from "../kubelet/images/base_images.js";
import { busyboxPod, containerdSkipReason, log, startTestCluster, until } from "./e2e_support.js";

const skip = containerdSkipReason();

const burner = JSON.stringify({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "burn" },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: "burn" } },
    template: {
      metadata: { labels: { app: "burn" } },
      spec: {
        terminationGracePeriodSeconds: 1,
        containers: [
          {
            name: "burn",
            image: IMAGE_TAGS.busybox,
            imagePullPolicy: "IfNotPresent",
            command: ["sh", "-c", "while :; do :; done"],
            resources: { requests: { cpu: "100m", memory: "16Mi" }, limits: { cpu: "150m", memory: "32Mi" } },
          },
        ],
      },
    },
  },
});

test("HPA scales up a CPU burner Deployment on real cgroup usage; custom metrics from a real pod endpoint", { skip, timeout: 300_000 }, async (t) => {
  const { kubectl, ok, client } = await startTestCluster(t, {
    prefix: "hpa",
    nodes: 2,
    serverArgs: ["--metric-resolution", "5s", "--horizontal-pod-autoscaler-sync-period", "5s"],
  });
  await ok(["apply", "-f", "-"], { input: burner });
  // A pod exposing Prometheus text over HTTP: its node's agent scrapes it by pod IP for custom.metrics.k8s.io.
  const exporter = busyboxPod("exporter", "mkdir -p /www && printf '# TYPE queue_depth gauge\\nqueue_depth 7\\n' > /www/metrics && httpd -f -p 8080 -h /www", { labels: { app: "exporter" } });
  exporter.metadata!.annotations = { "prometheus.io/scrape": "true", "prometheus.io/port": "8080" };
  await client.resource(resources.pods).create("default", exporter);
  await until("the burner running", async () => ((await ok(["get", "pods", "-l", "app=burn", "-o", "jsonpath={.items[*].status.phase}"])) === "Running" ? true : undefined));
  log("burner running");
  const autoscaled = Date.now();
  assert.match(await ok(["autoscale", "deployment", "burn", "--cpu-percent=50", "--min=1", "--max=4"]), /horizontalpodautoscaler.autoscaling\/burn autoscaled/);

  // Real usage through kubectl top: the throttled loop uses about its 150m limit.
  const top = await until("kubectl top pods to show the burner's usage", async () => {
    const r = await kubectl(["top", "pods", "-l", "app=burn", "--no-headers"]);
    const m = /^burn-\S+\s+(\d+)m\s+\d+Mi/m.exec(r.stdout);
    return r.code === 0 && m && Number(m[1]) >= 60 ? r.stdout : undefined;
  });
  log(`kubectl top pods:\n${top.trimEnd()}`);

  const targets = await until("TARGETS above 50%", async () => {
    const out = await ok(["get", "hpa", "burn"]);
    const m = /cpu: (\d+)%\/50%/.exec(out);
    return m && Number(m[1]) > 55 ? out : undefined;
  });
  log(`kubectl get hpa:\n${targets.trimEnd()}`);
  assert.match(targets, /^burn\s+Deployment\/burn\s+cpu: \d+%\/50%\s+1\s+4\s+\d+/m);

  await until("a scale up", async () => (Number(await ok(["get", "deploy", "burn", "-o", "jsonpath={.spec.replicas}"])) > 1 ? true : undefined));
  log(`first scale up ${((Date.now() - autoscaled) / 1000).toFixed(1)} s after kubectl autoscale`);
  // The HPA writes its SuccessfulRescale event after the new scale, so the event may land after the scale was seen.
  const events = await until("the SuccessfulRescale event", async () => {
    const out = await ok(["get", "events", "--field-selector", "reason=SuccessfulRescale", "-o", "jsonpath={range .items[*]}{.message}{\"\\n\"}{end}"]);
    return out.trim() ? out : undefined;
  });
  assert.match(events, /reason: cpu resource utilization \(percentage of request\) above target/);
  // On to the maximum: how soon depends on how much CPU the burners get on a shared machine (each needs more than
  // 50m of its 150m limit to keep the average above target), so the time is logged and a slow climb is not a failure.
  const four = await until("4 replicas", async () => ((await ok(["get", "deploy", "burn", "-o", "jsonpath={.spec.replicas}"])) === "4" ? true : undefined), 90_000).catch(() => false);
  log(four ? `4 replicas ${((Date.now() - autoscaled) / 1000).toFixed(1)} s after kubectl autoscale` : `not at 4 replicas within 90 s (${await ok(["get", "deploy", "burn", "-o", "jsonpath={.spec.replicas}"])}): the burners were starved of CPU`);
  log(`kubectl get hpa:\n${(await ok(["get", "hpa", "burn"])).trimEnd()}`);
  log(`kubectl top pods:\n${(await kubectl(["top", "pods", "-l", "app=burn"])).stdout.trimEnd()}`);

  // Custom metrics from a real pod's endpoint, scraped by its node's agent.
  const custom = await until("the exporter's metric through custom.metrics.k8s.io", async () => {
    const r = await kubectl(["get", "--raw", "/apis/custom.metrics.k8s.io/v1beta2/namespaces/default/pods/*/queue_depth?labelSelector=app%3Dexporter"]);
    return r.code === 0 ? (JSON.parse(r.stdout) as { items: Array<{ describedObject: { name: string }; value: string }> }) : undefined;
  });
  assert.deepEqual(custom.items.map((v) => [v.describedObject.name, v.value]), [["exporter", "7"]]);
  log("custom metric queue_depth=7 read from the exporter pod over HTTP");
});
