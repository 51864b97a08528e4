// Answers names outside the cluster zone by asking upstream servers in turn (the first that answers wins), over
// the transport the client used: a UDP client gets the upstream's full answer truncated to its own size limit by
// our server, and comes back over TCP for the rest.
import { exchange } from "./client.js";
import { Rcode, replyTo, type Message } from "./message.js";
import type { DnsMetrics } from "./metrics.js";
import type { Handler, HostPort, QueryContext } from "./types.js";
import { silentLogger, type Logger } from "../util/log.js";

export interface ForwarderOptions {
  upstreams: HostPort[];
  timeoutMs?: number;
  metrics?: DnsMetrics;
  log?: Logger;
}

export class Forwarder implements Handler {
  private readonly log: Logger;

  constructor(private readonly opts: ForwarderOptions) {
    if (opts.upstreams.length === 0) throw new Error("forwarder: no upstream servers given");
    this.log = opts.log ?? silentLogger;
  }

  async handle(query: Message, ctx: QueryContext): Promise<Message> {
    for (const up of this.opts.upstreams) {
      const to = `${up.host}:${up.port}`;
      try {
        // A fresh id per hop: the client's id means nothing upstream and must not be guessable from it.
        const { message } = await exchange(up, { ...query, header: { ...query.header, id: Math.floor(Math.random() * 0x10000) } }, { protocol: ctx.protocol, timeoutMs: this.opts.timeoutMs });
        this.opts.metrics?.forwarded.inc({ to, result: "answered" });
        message.header.id = query.header.id;
        return message;
      } catch (err) {
        this.opts.metrics?.forwarded.inc({ to, result: "failed" });
        this.log.warn("dns upstream failed", { upstream: to, name: query.questions[0]?.name, err });
      }
    }
    return replyTo(query, Rcode.SERVFAIL);
  }
}
