// A thin gRPC client for CRI v1 over a unix socket: one call(service, method, request) with a deadline, and gRPC
// status codes turned into the RuntimeError codes of runtime/types.ts once, here.
import * as grpc from "@grpc/grpc-js";
import { RuntimeError, type RuntimeErrorCode } from "../types.js";
import { criMethod, type CriService } from "./cri_proto.js";

export interface CriClientOptions {
  /** Deadline of a call unless the call says otherwise (default 2 minutes: a sandbox with CNI can take seconds). */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 120_000;
/** ExecSync output is capped at 16 MiB per stream by the runtime; leave room for both. */
const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

function runtimeCode(code: number | undefined): RuntimeErrorCode {
  switch (code) {
    case grpc.status.NOT_FOUND:
      return "NotFound";
    case grpc.status.ALREADY_EXISTS:
      return "AlreadyExists";
    case grpc.status.INVALID_ARGUMENT:
      return "InvalidArgument";
    case grpc.status.FAILED_PRECONDITION:
      return "FailedPrecondition";
    case grpc.status.DEADLINE_EXCEEDED:
      return "DeadlineExceeded";
    case grpc.status.UNAVAILABLE:
      return "Unavailable";
    default:
      return "Unknown";
  }
}

export class CriClient {
  private readonly client: grpc.Client;
  private readonly timeoutMs: number;

  constructor(
    readonly address: string,
    opts: CriClientOptions = {},
  ) {
    const target = address.startsWith("unix:") ? address : `unix://${address}`;
    this.client = new grpc.Client(target, grpc.credentials.createInsecure(), {
      "grpc.max_receive_message_length": MAX_MESSAGE_BYTES,
      "grpc.max_send_message_length": MAX_MESSAGE_BYTES,
    });
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /** One unary CRI call; failures are RuntimeErrors whose message names the call. */
  call<Res>(service: CriService, method: string, request: object, opts: { timeoutMs?: number } = {}): Promise<Res> {
    const def = criMethod(service, method);
    const deadline = new Date(Date.now() + (opts.timeoutMs ?? this.timeoutMs));
    return new Promise<Res>((resolve, reject) => {
      this.client.makeUnaryRequest(def.path, def.requestSerialize, def.responseDeserialize, request, new grpc.Metadata(), { deadline }, (err, res) => {
        if (err) reject(new RuntimeError(runtimeCode(err.code), `cri ${method}: ${err.details || err.message}`));
        else resolve(res as Res);
      });
    });
  }

  close(): void {
    this.client.close();
  }
}
