// A fake API server for scheduler tests, plus what it lacks: the pods/binding subresource (answered the way the
// real registry does: 409 when already bound, spec.nodeName and PodScheduled=True otherwise) and PriorityClasses.
import type { StoredObject } from "../../api/object.js";
import { createClient, type Client } from "../../client/rest_client.js";
import { resources } from "../../client/resources.js";
import { startFakeApiServer, type FakeApiServer } from "../../client/testing/fake_apiserver.js";
import { errors, isStatusError } from "../../machinery/errors.js";
import { podDisruptionBudgetsRef, priorityClassesRef } from "../informers.js";

export interface FakeCluster {
  server: FakeApiServer;
  client: Client;
  /** Number of binding requests answered, successful or not. */
  bindings(): number;
  close(): Promise<void>;
}

const BINDING_PATH = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/binding$/;

export async function startFakeCluster(): Promise<FakeCluster> {
  const server = await startFakeApiServer({ resources: [...Object.values(resources), priorityClassesRef, podDisruptionBudgetsRef] });
  let count = 0;
  const podsRef = server.store.find("", "pods")!;
  const bind = (ns: string, name: string, body: { target?: { name?: string } }): Response => {
    count++;
    try {
      const cur = server.store.get(podsRef, ns, name) as StoredObject & { spec?: { nodeName?: string }; status?: { conditions?: Array<Record<string, unknown>> } };
      if (cur.metadata.deletionTimestamp) throw errors.conflict({ group: "", resource: "pods/binding" }, name, `pod ${name} is being deleted, cannot be assigned to a host`);
      if (cur.spec?.nodeName) throw errors.conflict({ group: "", resource: "pods/binding" }, name, `pod ${name} is already assigned to node "${cur.spec.nodeName}"`);
      const bound = server.store.update(podsRef, ns, name, { ...cur, spec: { ...cur.spec, nodeName: body.target?.name } });
      const conditions = [...((cur.status?.conditions ?? []).filter((c) => c.type !== "PodScheduled")), { type: "PodScheduled", status: "True", lastProbeTime: null, lastTransitionTime: new Date().toISOString() }];
      server.store.update(podsRef, ns, name, { ...bound, status: { ...(cur.status ?? {}), conditions } }, "status");
      return new Response(JSON.stringify({ kind: "Status", apiVersion: "v1", metadata: {}, status: "Success", code: 201 }), { status: 201 });
    } catch (err) {
      const se = isStatusError(err) ? err : errors.internal(String(err));
      return new Response(JSON.stringify(se.status), { status: se.code });
    }
  };
  const fetchImpl: typeof fetch = async (input, init) => {
    const url = new URL(String(input));
    const m = BINDING_PATH.exec(url.pathname);
    if (m && init?.method === "POST") return bind(decodeURIComponent(m[1]!), decodeURIComponent(m[2]!), JSON.parse(String(init.body ?? "{}")));
    return fetch(input, init);
  };
  const client = createClient({ server: server.url, fetchImpl });
  return {
    server,
    client,
    bindings: () => count,
    close: async () => {
      client.close();
      await server.close();
    },
  };
}
