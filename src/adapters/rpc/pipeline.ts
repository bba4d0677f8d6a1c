import type { DescMethod, DescService } from "@bufbuild/protobuf";
import { Code, ConnectError, type HandlerContext } from "@connectrpc/connect";
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Span } from "@opentelemetry/api";
import type { Logger } from "pino";
import type { Authenticate } from "../../application/tenants/authenticate.js";
import { WalletUnavailableError } from "../../application/wallet/wallet-writer.js";
import type { TollgateMetrics } from "../telemetry/metrics.js";
import { principalKey, transportKey } from "./context.js";
import { toConnectError } from "./errors.js";
import { callAborted } from "./grpc-call-context.js";

/**
 * What every call goes through, on both transports, written once: continue the caller's trace,
 * honour the deadline, authenticate (except public services), map unexpected failures to
 * INTERNAL without leaking them, and log one line per call.
 */
export type CallPipeline = {
  readonly authenticate: Authenticate;
  readonly logger: Logger;
  /** Services callable without an API key (health). */
  readonly publicServices: ReadonlySet<string>;
  /**
   * Aborted when shutdown begins: server streams never end on their own, so they end here,
   * while unary calls in flight are left to finish.
   */
  readonly streamsStop: AbortSignal;
  /** RPC durations are recorded here when set. */
  readonly metrics?: TollgateMetrics;
};

const headerGetter = {
  keys: (carrier: Headers) => [...carrier.keys()],
  get: (carrier: Headers, key: string) => carrier.get(key) ?? undefined,
};

function asConnectError(error: unknown, logger: Logger, method: string): ConnectError {
  if (error instanceof ConnectError) return error;
  // A wallet that stayed contended through every retry, or a store that failed: the caller
  // may retry (every mutation is idempotent by its id).
  if (error instanceof WalletUnavailableError) {
    logger.warn({ err: error, method }, "wallet unavailable");
    return new ConnectError("the wallet is busy or its database unavailable; retry the call", Code.Unavailable);
  }
  logger.error({ err: error, method }, "unexpected failure while handling a call");
  return new ConnectError("internal error", Code.Internal);
}

function deadlineError(ctx: HandlerContext): ConnectError {
  return ctx.signal.reason instanceof ConnectError ? ctx.signal.reason : new ConnectError("the call's deadline passed or it was cancelled", Code.DeadlineExceeded);
}

async function beforeHandler(pipeline: CallPipeline, service: DescService, ctx: HandlerContext, span: Span): Promise<void> {
  if (callAborted(ctx)) throw deadlineError(ctx);
  if (pipeline.publicServices.has(service.typeName)) return;
  const principal = await pipeline.authenticate.execute(ctx.requestHeader.get("authorization") ?? undefined);
  if (!principal.ok) throw toConnectError(principal.error);
  ctx.values.set(principalKey, principal.value);
  span.setAttribute("tollgate.tenant_id", principal.value.tenantId);
}

function startServerSpan(service: DescService, method: DescMethod, ctx: HandlerContext): { span: Span; spanContext: ReturnType<typeof context.active> } {
  const parent = propagation.extract(ROOT_CONTEXT, ctx.requestHeader, headerGetter);
  const span = trace.getTracer("tollgate.rpc").startSpan(
    `${service.typeName}/${method.name}`,
    {
      kind: SpanKind.SERVER,
      attributes: { "rpc.system": ctx.protocolName === "grpc" ? "grpc" : "connect_rpc", "rpc.service": service.typeName, "rpc.method": method.name, "rpc.protocol": ctx.protocolName },
    },
    parent,
  );
  return { span, spanContext: trace.setSpan(parent, span) };
}

function finish(pipeline: CallPipeline, span: Span, method: string, startedMs: number, error: ConnectError | undefined, quiet = false, ctx?: HandlerContext): void {
  const code = error ? Code[error.code] : "OK";
  if (pipeline.metrics && ctx) {
    const [service = "", name = ""] = method.split("/");
    pipeline.metrics.rpcDuration.record((performance.now() - startedMs) / 1000, { rpc_service: service, rpc_method: name, rpc_code: code, transport: ctx.values.get(transportKey) });
  }
  span.setAttribute("rpc.grpc.status_code", error ? error.code : 0);
  if (error && error.code !== Code.NotFound && error.code !== Code.InvalidArgument && error.code !== Code.AlreadyExists) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: error.rawMessage });
  }
  const fields = { method, code, duration_ms: Math.round((performance.now() - startedMs) * 100) / 100 };
  if (error && error.code === Code.Internal) pipeline.logger.error(fields, "call failed");
  else if (quiet) pipeline.logger.debug(fields, "call");
  else pipeline.logger.info(fields, "call");
  span.end();
}

type UnaryHandler = (request: unknown, ctx: HandlerContext) => Promise<unknown> | unknown;
type StreamHandler = (request: unknown, ctx: HandlerContext) => AsyncIterable<unknown>;

export function wrapUnary(pipeline: CallPipeline, service: DescService, method: DescMethod, handler: UnaryHandler): UnaryHandler {
  const name = `${service.typeName}/${method.name}`;
  return (request, ctx) => {
    const startedMs = performance.now();
    const { span, spanContext } = startServerSpan(service, method, ctx);
    return context.with(spanContext, async () => {
      try {
        await beforeHandler(pipeline, service, ctx, span);
        const response = await handler(request, ctx);
        if (callAborted(ctx)) throw deadlineError(ctx);
        finish(pipeline, span, name, startedMs, undefined, pipeline.publicServices.has(service.typeName), ctx);
        return response;
      } catch (error) {
        const mapped = asConnectError(error, pipeline.logger, name);
        finish(pipeline, span, name, startedMs, mapped, false, ctx);
        throw mapped;
      }
    });
  };
}

export function wrapServerStream(pipeline: CallPipeline, service: DescService, method: DescMethod, handler: StreamHandler): StreamHandler {
  const name = `${service.typeName}/${method.name}`;
  return async function* (request, ctx) {
    const startedMs = performance.now();
    const { span, spanContext } = startServerSpan(service, method, ctx);
    let failure: ConnectError | undefined;
    try {
      await context.with(spanContext, () => beforeHandler(pipeline, service, ctx, span));
      const iterator = context.with(spanContext, () => handler(request, ctx)[Symbol.asyncIterator]());
      const stopped = new Promise<"stopped">((resolve) => {
        if (pipeline.streamsStop.aborted) resolve("stopped");
        pipeline.streamsStop.addEventListener("abort", () => resolve("stopped"), { once: true });
      });
      try {
        for (;;) {
          const next = await Promise.race([context.with(spanContext, () => iterator.next()), stopped]);
          if (next === "stopped" || next.done) break;
          yield next.value;
        }
      } finally {
        void iterator.return?.();
      }
    } catch (error) {
      failure = asConnectError(error, pipeline.logger, name);
      throw failure;
    } finally {
      finish(pipeline, span, name, startedMs, failure);
    }
  };
}

/**
 * Returns an implementation of `service` in which every method of `impl` runs through the
 * pipeline. Both transports serve the wrapped object, so neither can skip a step.
 */
export function applyPipeline(pipeline: CallPipeline, service: DescService, impl: object): Record<string, UnaryHandler | StreamHandler> {
  const wrapped: Record<string, UnaryHandler | StreamHandler> = {};
  for (const method of service.methods) {
    const own = (impl as Record<string, unknown>)[method.localName];
    if (typeof own !== "function") throw new Error(`${service.typeName} implementation lacks ${method.localName}`);
    const bound = own.bind(impl) as UnaryHandler & StreamHandler;
    switch (method.methodKind) {
      case "unary":
        wrapped[method.localName] = wrapUnary(pipeline, service, method, bound);
        break;
      case "server_streaming":
        wrapped[method.localName] = wrapServerStream(pipeline, service, method, bound);
        break;
      default:
        throw new Error(`${service.typeName}/${method.name}: ${method.methodKind} methods are not supported`);
    }
  }
  return wrapped;
}
