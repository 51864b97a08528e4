// Parses the --datastore URL that chooses a backend.
export type DatastoreConfig =
  | { kind: "sqlite"; path: string }
  | { kind: "etcd"; endpoints: string[] };

export const DATASTORE_FORMS = "sqlite:///absolute/path/state.db or etcd://host:port[,host:port...]";

export class DatastoreUrlError extends Error {
  constructor(url: string, why: string) {
    super(`invalid --datastore ${JSON.stringify(url)}: ${why}; accepted forms: ${DATASTORE_FORMS}`);
    this.name = "DatastoreUrlError";
  }
}

export function parseDatastoreUrl(url: string): DatastoreConfig {
  const m = /^([a-z0-9+]+):\/\/(.*)$/i.exec(url);
  if (!m) throw new DatastoreUrlError(url, "not a URL");
  const scheme = m[1]!.toLowerCase();
  const rest = m[2]!;
  if (scheme === "sqlite") {
    if (!rest.startsWith("/")) throw new DatastoreUrlError(url, "the sqlite path must be absolute (three slashes)");
    if (rest.endsWith("/")) throw new DatastoreUrlError(url, "the sqlite path names a directory, not a file");
    if (rest.includes("\0")) throw new DatastoreUrlError(url, "the path contains a NUL byte");
    return { kind: "sqlite", path: decodeURIComponent(rest) };
  }
  if (scheme === "etcd") {
    if (rest === "") throw new DatastoreUrlError(url, "no etcd endpoint given");
    const endpoints = rest.replace(/\/+$/, "").split(",").map((ep) => {
      const hp = /^(\[[0-9a-f:]+\]|[a-z0-9.-]+):(\d{1,5})$/i.exec(ep);
      if (!hp) throw new DatastoreUrlError(url, `endpoint ${JSON.stringify(ep)} is not host:port`);
      const port = Number(hp[2]);
      if (port < 1 || port > 65535) throw new DatastoreUrlError(url, `port ${port} is out of range`);
      return `${hp[1]}:${port}`;
    });
    return { kind: "etcd", endpoints };
  }
  throw new DatastoreUrlError(url, `unknown scheme ${JSON.stringify(scheme)}`);
}
