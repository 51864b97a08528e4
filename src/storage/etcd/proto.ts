// The subset of etcd v3's gRPC API this backend uses, with etcd's own package, message and field numbers
// (etcdserverpb/rpc.proto, mvccpb/kv.proto), so it talks to an unmodified etcd server. Embedded as text because
// tsc does not copy .proto files to dist/.
import { fromJSON, type MethodDefinition } from "@grpc/proto-loader";
import protobuf from "protobufjs";

const PROTO = `
syntax = "proto3";
package etcdserverpb;

message KeyValue {
  bytes key = 1;
  int64 create_revision = 2;
  int64 mod_revision = 3;
  int64 version = 4;
  bytes value = 5;
  int64 lease = 6;
}

message Event {
  enum EventType {
    PUT = 0;
    DELETE = 1;
  }
  EventType type = 1;
  KeyValue kv = 2;
  KeyValue prev_kv = 3;
}

message ResponseHeader {
  uint64 cluster_id = 1;
  uint64 member_id = 2;
  int64 revision = 3;
  uint64 raft_term = 4;
}

message RangeRequest {
  bytes key = 1;
  bytes range_end = 2;
  int64 limit = 3;
  int64 revision = 4;
  bool serializable = 7;
  bool keys_only = 8;
  bool count_only = 9;
}

message RangeResponse {
  ResponseHeader header = 1;
  repeated KeyValue kvs = 2;
  bool more = 3;
  int64 count = 4;
}

message PutRequest {
  bytes key = 1;
  bytes value = 2;
  int64 lease = 3;
  bool prev_kv = 4;
}

message PutResponse {
  ResponseHeader header = 1;
  KeyValue prev_kv = 2;
}

message DeleteRangeRequest {
  bytes key = 1;
  bytes range_end = 2;
  bool prev_kv = 3;
}

message DeleteRangeResponse {
  ResponseHeader header = 1;
  int64 deleted = 2;
  repeated KeyValue prev_kvs = 3;
}

message RequestOp {
  oneof request {
    RangeRequest request_range = 1;
    PutRequest request_put = 2;
    DeleteRangeRequest request_delete_range = 3;
  }
}

message ResponseOp {
  oneof response {
    RangeResponse response_range = 1;
    PutResponse response_put = 2;
    DeleteRangeResponse response_delete_range = 3;
  }
}

message Compare {
  enum CompareResult {
    EQUAL = 0;
    GREATER = 1;
    LESS = 2;
    NOT_EQUAL = 3;
  }
  enum CompareTarget {
    VERSION = 0;
    CREATE = 1;
    MOD = 2;
    VALUE = 3;
  }
  CompareResult result = 1;
  CompareTarget target = 2;
  bytes key = 3;
  oneof target_union {
    int64 version = 4;
    int64 create_revision = 5;
    int64 mod_revision = 6;
    bytes value = 7;
  }
}

message TxnRequest {
  repeated Compare compare = 1;
  repeated RequestOp success = 2;
  repeated RequestOp failure = 3;
}

message TxnResponse {
  ResponseHeader header = 1;
  bool succeeded = 2;
  repeated ResponseOp responses = 3;
}

message CompactionRequest {
  int64 revision = 1;
  bool physical = 2;
}

message CompactionResponse {
  ResponseHeader header = 1;
}

message WatchRequest {
  oneof request_union {
    WatchCreateRequest create_request = 1;
    WatchCancelRequest cancel_request = 2;
  }
}

message WatchCreateRequest {
  bytes key = 1;
  bytes range_end = 2;
  int64 start_revision = 3;
  bool progress_notify = 4;
  bool prev_kv = 6;
}

message WatchCancelRequest {
  int64 watch_id = 1;
}

message WatchResponse {
  ResponseHeader header = 1;
  int64 watch_id = 2;
  bool created = 3;
  bool canceled = 4;
  int64 compact_revision = 5;
  string cancel_reason = 6;
  bool fragment = 7;
  repeated Event events = 11;
}

message StatusRequest {}

message StatusResponse {
  ResponseHeader header = 1;
  string version = 2;
  int64 dbSize = 3;
  uint64 leader = 4;
}

service KV {
  rpc Range(RangeRequest) returns (RangeResponse);
  rpc Put(PutRequest) returns (PutResponse);
  rpc DeleteRange(DeleteRangeRequest) returns (DeleteRangeResponse);
  rpc Txn(TxnRequest) returns (TxnResponse);
  rpc Compact(CompactionRequest) returns (CompactionResponse);
}

service Watch {
  rpc Watch(stream WatchRequest) returns (stream WatchResponse);
}

service Maintenance {
  rpc Status(StatusRequest) returns (StatusResponse);
}
`;

// mvccpb.KeyValue and mvccpb.Event live in another proto package in etcd, but a message's package never goes
// on the wire (only field numbers do), so declaring them in etcdserverpb is byte-for-byte compatible.

/** Decoded shapes (proto-loader: keepCase, longs as numbers, bytes as Buffer, defaults filled in). */
export interface PbKeyValue {
  key: Buffer;
  create_revision: number;
  mod_revision: number;
  version: number;
  value: Buffer;
  lease: number;
}
export interface PbHeader {
  cluster_id: number;
  member_id: number;
  revision: number;
  raft_term: number;
}
export interface PbEvent {
  type: "PUT" | "DELETE";
  kv: PbKeyValue | null;
  prev_kv: PbKeyValue | null;
}
export interface RangeRequest {
  key: Buffer;
  range_end?: Buffer;
  limit?: number;
  revision?: number;
  serializable?: boolean;
  keys_only?: boolean;
  count_only?: boolean;
}
export interface RangeResponse {
  header: PbHeader;
  kvs: PbKeyValue[];
  more: boolean;
  count: number;
}
export interface PutRequest {
  key: Buffer;
  value: Buffer;
  prev_kv?: boolean;
}
export interface PutResponse {
  header: PbHeader;
  prev_kv: PbKeyValue | null;
}
export interface DeleteRangeRequest {
  key: Buffer;
  range_end?: Buffer;
  prev_kv?: boolean;
}
export interface DeleteRangeResponse {
  header: PbHeader;
  deleted: number;
  prev_kvs: PbKeyValue[];
}
export type RequestOp =
  | { request_range: RangeRequest }
  | { request_put: PutRequest }
  | { request_delete_range: DeleteRangeRequest };
export interface ResponseOp {
  response_range?: RangeResponse | null;
  response_put?: PutResponse | null;
  response_delete_range?: DeleteRangeResponse | null;
}
export interface Compare {
  result: "EQUAL" | "GREATER" | "LESS" | "NOT_EQUAL";
  target: "VERSION" | "CREATE" | "MOD" | "VALUE";
  key: Buffer;
  version?: number;
  create_revision?: number;
  mod_revision?: number;
}
export interface TxnRequest {
  compare: Compare[];
  success: RequestOp[];
  failure: RequestOp[];
}
export interface TxnResponse {
  header: PbHeader;
  succeeded: boolean;
  responses: ResponseOp[];
}
export interface CompactionRequest {
  revision: number;
  physical?: boolean;
}
export interface CompactionResponse {
  header: PbHeader;
}
export interface WatchRequest {
  create_request?: {
    key: Buffer;
    range_end: Buffer;
    start_revision: number;
    progress_notify?: boolean;
    prev_kv: boolean;
  };
  cancel_request?: { watch_id: number };
}
export interface WatchResponse {
  header: PbHeader;
  watch_id: number;
  created: boolean;
  canceled: boolean;
  compact_revision: number;
  cancel_reason: string;
  fragment: boolean;
  events: PbEvent[];
}
export type StatusRequest = Record<string, never>;
export interface StatusResponse {
  header: PbHeader;
  version: string;
  dbSize: number;
  leader: number;
}

/** Request and response types of each unary method, keyed by "Service.Method". */
export interface UnaryMethods {
  "KV.Range": [RangeRequest, RangeResponse];
  "KV.Put": [PutRequest, PutResponse];
  "KV.DeleteRange": [DeleteRangeRequest, DeleteRangeResponse];
  "KV.Txn": [TxnRequest, TxnResponse];
  "KV.Compact": [CompactionRequest, CompactionResponse];
  "Maintenance.Status": [StatusRequest, StatusResponse];
}
export type UnaryMethod = keyof UnaryMethods;

export interface MethodCodec<Req, Res> {
  path: string;
  serialize: (value: Req) => Buffer;
  deserialize: (bytes: Buffer) => Res;
}

function loadDefinitions() {
  const root = protobuf.parse(PROTO, { keepCase: true }).root;
  return fromJSON(root.toJSON(), { keepCase: true, longs: Number, enums: String, bytes: Buffer, defaults: true, oneofs: true });
}

let definitions: ReturnType<typeof loadDefinitions> | undefined;

function method(service: string, name: string): MethodDefinition<object, object> {
  definitions ??= loadDefinitions();
  const svc = definitions[`etcdserverpb.${service}`];
  const def = svc && (svc as Record<string, unknown>)[name];
  if (!def || typeof def !== "object" || !("path" in def)) throw new Error(`etcd proto: no method ${service}.${name}`);
  return def as MethodDefinition<object, object>;
}

/** The wire path and codecs of one unary method. */
export function unaryCodec<M extends UnaryMethod>(name: M): MethodCodec<UnaryMethods[M][0], UnaryMethods[M][1]> {
  const [service, rpc] = name.split(".") as [string, string];
  const def = method(service, rpc);
  return {
    path: def.path,
    serialize: def.requestSerialize as (value: UnaryMethods[M][0]) => Buffer,
    deserialize: def.responseDeserialize as (bytes: Buffer) => UnaryMethods[M][1],
  };
}

export function watchCodec(): MethodCodec<WatchRequest, WatchResponse> {
  const def = method("Watch", "Watch");
  return {
    path: def.path,
    serialize: def.requestSerialize as (value: WatchRequest) => Buffer,
    deserialize: def.responseDeserialize as (bytes: Buffer) => WatchResponse,
  };
}
