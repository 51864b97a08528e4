// Opens the Storage backend a --datastore URL names (see datastore_url.ts): embedded SQLite or real etcd.
import type { DatastoreConfig } from "./datastore_url.js";
import { openEtcdStorage } from "./etcd/etcd_storage.js";
import { openSqliteStorage } from "./sqlite/sqlite_storage.js";
import type { Storage } from "./types.js";
import type { Logger } from "../util/log.js";

export interface OpenStorageOptions {
  logger?: Logger;
  /** etcd only: prepended to every key (like kube-apiserver's --etcd-prefix). */
  etcdPrefix?: string;
}

/** Opens the backend of a parsed datastore URL; for etcd it waits until a member answers (or fails Unavailable). */
export async function openStorage(config: DatastoreConfig, opts: OpenStorageOptions = {}): Promise<Storage> {
  switch (config.kind) {
    case "sqlite":
      return openSqliteStorage({ path: config.path, logger: opts.logger });
    case "etcd":
      return openEtcdStorage({ endpoints: config.endpoints, logger: opts.logger, prefix: opts.etcdPrefix });
  }
}
