import { create, fromBinary, toBinary, type DescMessage, type DescMethod, type DescService } from "@bufbuild/protobuf";
import { anyPack } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type HandlerContext } from "@connectrpc/connect";
import { GrpcCallContext } from "./grpc-call-context.js";
import { transportKey } from "./context.js";
import * as grpc from "@grpc/grpc-js";
import { once } from "node:events";
import { StatusSchema } from "../../gen/google/rpc/status_pb.js";

type UnaryHandler = (request: unknown, ctx: HandlerContext) => Promise<unknown> | unknown;
type StreamHandler = (request: unknown, ctx: HandlerContext) => AsyncIterable<unknown>;

function serializer(schema: DescMessage) {
  return {
    serialize: (message: unknown) => Buffer.from(toBinary(schema, create(schema, message as never))),
    deserialize: (bytes: Buffer) => fromBinary(schema, bytes),
  };
}

/** The call's text metadata as the context's request Headers (binary values are left out). */
function headersOf(metadata: grpc.Metadata): Headers {
  const headers = new Headers();
  for (const [key, value] of Object.entries(metadata.getMap())) {
    if (typeof value === "string") headers.append(key, value);
  }
  return headers;
}

function remainingMs(call: grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerWritableStream<unknown, unknown>): number | undefined {
  const deadline = call.getDeadline();
  const at = deadline instanceof Date ? deadline.getTime() : deadline;
  return Number.isFinite(at) ? Math.max(0, at - Date.now()) : undefined;
}

/** A ConnectError as a grpc-js status, with its details in the standard binary trailer. */
export function toGrpcStatus(error: unknown): grpc.StatusObject {
  const connectError = error instanceof ConnectError ? error : new ConnectError("internal error", Code.Internal);
  const metadata = new grpc.Metadata();
  if (connectError.details.length > 0) {
    const status = create(StatusSchema, {
      code: connectError.code,
      message: connectError.rawMessage,
      details: connectError.details.map((d) =>
        "desc" in d ? anyPack(d.desc, create(d.desc, d.value as never)) : { typeUrl: `type.googleapis.com/${d.type}`, value: d.value },
      ),
    });
    metadata.set("grpc-status-details-bin", Buffer.from(toBinary(StatusSchema, status)));
  }
  return { code: connectError.code as number as grpc.status, details: connectError.rawMessage, metadata };
}

/** Why the context of a call that has already answered is aborted (see `contextFor`). */
const callEnded = new ConnectError("the call has ended", Code.Canceled);

/**
 * The call's Connect context, and `finished` to say the handler is done with it. grpc-js
 * reports the end of every call as "cancelled", answered or not: the context is aborted then
 * (which also stops its deadline timer), but an error of its own, with the stack trace it
 * costs, is made only for a call still running, whose caller really went away.
 */
function contextFor(
  service: DescService,
  method: DescMethod,
  call: grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerWritableStream<unknown, unknown>,
): { ctx: GrpcCallContext; finished: () => void } {
  const ctx = new GrpcCallContext(service, method, `/${service.typeName}/${method.name}`, headersOf(call.metadata), remainingMs(call));
  let done = false;
  call.on("cancelled", () => ctx.abort(done ? callEnded : new ConnectError("the caller cancelled the call", Code.Canceled)));
  ctx.values.set(transportKey, "grpc");
  return {
    ctx,
    finished: () => {
      done = true;
    },
  };
}

/**
 * Serves a protobuf-es service on @grpc/grpc-js: paths come from the descriptor and the
 * generated schemas do the (de)serialization, so the same ServiceImpl (already wrapped by the
 * call pipeline) answers here and on the Connect port.
 */
export function bindGrpcService(
  server: grpc.Server,
  service: DescService,
  impl: Record<string, UnaryHandler | StreamHandler>,
): void {
  const definition: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  const handlers: grpc.UntypedServiceImplementation = {};
  for (const method of service.methods) {
    const input = serializer(method.input);
    const output = serializer(method.output);
    const handler = impl[method.localName];
    if (!handler) throw new Error(`no handler for ${service.typeName}/${method.name}`);
    definition[method.localName] = {
      path: `/${service.typeName}/${method.name}`,
      requestStream: false,
      responseStream: method.methodKind === "server_streaming",
      requestSerialize: input.serialize,
      requestDeserialize: input.deserialize,
      responseSerialize: output.serialize,
      responseDeserialize: output.deserialize,
      originalName: method.localName,
    };
    if (method.methodKind === "unary") {
      const unary = handler as UnaryHandler;
      handlers[method.localName] = (call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
        const { ctx, finished } = contextFor(service, method, call);
        Promise.resolve()
          .then(() => unary(call.request, ctx))
          .then(
            (response) => {
              finished();
              callback(null, response);
            },
            (error: unknown) => {
              finished();
              callback(toGrpcStatus(error));
            },
          );
      };
    } else if (method.methodKind === "server_streaming") {
      const stream = handler as StreamHandler;
      handlers[method.localName] = (call: grpc.ServerWritableStream<unknown, unknown>) => {
        const { ctx, finished } = contextFor(service, method, call);
        void (async () => {
          try {
            for await (const message of stream(call.request, ctx)) {
              if (ctx.aborted) break;
              if (!call.write(message)) await once(call, "drain");
            }
            finished();
            call.end();
          } catch (error) {
            finished();
            if (!call.cancelled) call.emit("error", toGrpcStatus(error));
          }
        })();
      };
    } else {
      throw new Error(`${service.typeName}/${method.name}: ${method.methodKind} is not supported on the gRPC port`);
    }
  }
  server.addService(definition, handlers);
}
