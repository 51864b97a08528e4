// DefaultStorageClass: which class is the default, and that the chain only runs it for PVC creates.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { StoredObject } from "../../api/object.js";
import { admissionFor } from "../pipeline.js";
import type { Registry } from "../../registry/rest.js";
import { DefaultStorageClass, pickDefaultClass } from "./default_storage_class.js";

const sc = (name: string, created: string, annotations?: Record<string, string>): StoredObject => ({ metadata: { name, creationTimestamp: created, annotations } });
const DEFAULT = { "storageclass.kubernetes.io/is-default-class": "true" };

describe("DefaultStorageClass admission", () => {
  it("picks the newest class marked default (GA or beta annotation), none when no class is", () => {
    assert.equal(pickDefaultClass([sc("plain", "2026-01-03T00:00:00Z")]), undefined);
    assert.equal(pickDefaultClass([sc("off", "2026-01-03T00:00:00Z", { "storageclass.kubernetes.io/is-default-class": "false" }), sc("old", "2026-01-01T00:00:00Z", DEFAULT)]), "old");
    assert.equal(pickDefaultClass([sc("old", "2026-01-01T00:00:00Z", DEFAULT), sc("new", "2026-01-02T00:00:00Z", { "storageclass.beta.kubernetes.io/is-default-class": "true" })]), "new");
    assert.equal(pickDefaultClass([sc("b", "2026-01-01T00:00:00Z", DEFAULT), sc("a", "2026-01-01T00:00:00Z", DEFAULT)]), "a", "same age: by name");
  });

  it("runs only for creates of persistentvolumeclaims (so other requests skip it and the old-object read)", () => {
    const plugin = new DefaultStorageClass({} as Registry);
    const chain = { mutating: [plugin], validating: [] };
    assert.equal(admissionFor(chain, { operation: "CREATE", group: "", resource: "persistentvolumeclaims" }).mutating.length, 1);
    for (const req of [
      { operation: "UPDATE" as const, group: "", resource: "persistentvolumeclaims" },
      { operation: "CREATE" as const, group: "", resource: "pods" },
      { operation: "CREATE" as const, group: "", resource: "persistentvolumeclaims", subresource: "status" },
    ]) assert.equal(admissionFor(chain, req).mutating.length, 0, JSON.stringify(req));
  });
});
