import type { DescMethod, DescService } from "@bufbuild/protobuf";
import { Code, ConnectError, createContextValues, type ContextValues, type HandlerContext } from "@connectrpc/connect";

/**
 * The Connect context of one call on the grpc-js port, built for the unary hot path.
 *
 * Connect's own `createHandlerContext` makes two AbortControllers per call, links them with
 * listeners, starts a deadline timer and builds three Headers: 30-40 µs per call on Node 20,
 * measured in isolation with the abort every call ends with (this context: about 3 µs), where
 * a whole Health.Check costs the server 100-190 µs. Unary handlers never look at the signal,
 * so here it is made on first use only, and a call's end that nobody observed costs nothing.
 * Once made it behaves as Connect's does: aborted by `abort`, by the caller cancelling, or
 * when the deadline passes.
 */
export class GrpcCallContext implements HandlerContext {
  readonly protocolName = "grpc";
  readonly requestMethod = "POST";
  readonly values: ContextValues = createContextValues();
  private controller: AbortController | undefined;
  private reason: unknown = undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private header: Headers | undefined;
  private trailer: Headers | undefined;
  private readonly deadlineAtMs: number | undefined;

  constructor(
    readonly service: DescService,
    readonly method: DescMethod,
    readonly url: string,
    readonly requestHeader: Headers,
    timeoutMs: number | undefined,
  ) {
    this.deadlineAtMs = timeoutMs === undefined ? undefined : Date.now() + timeoutMs;
  }

  readonly timeoutMs = (): number | undefined => (this.deadlineAtMs === undefined ? undefined : this.deadlineAtMs - Date.now());

  /** Whether the call was aborted or its deadline passed, without making the signal. */
  get aborted(): boolean {
    if (this.controller) return this.controller.signal.aborted;
    if (this.reason === undefined && this.deadlineAtMs !== undefined && Date.now() >= this.deadlineAtMs) this.reason = deadlinePassed();
    return this.reason !== undefined;
  }

  get signal(): AbortSignal {
    if (this.controller) return this.controller.signal;
    const abortedAlready = this.aborted;
    const controller = new AbortController();
    this.controller = controller;
    if (abortedAlready) {
      controller.abort(this.reason);
    } else if (this.deadlineAtMs !== undefined) {
      this.timer = setTimeout(() => controller.abort(deadlinePassed()), Math.max(0, this.deadlineAtMs - Date.now()));
    }
    return controller.signal;
  }

  get responseHeader(): Headers {
    return (this.header ??= new Headers());
  }

  get responseTrailer(): Headers {
    return (this.trailer ??= new Headers());
  }

  /** Aborts the signal (now, or when it is first asked for) and stops the deadline timer. */
  abort(reason: unknown): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.controller) this.controller.abort(reason);
    else this.reason ??= reason;
  }
}

const deadlinePassed = (): ConnectError => new ConnectError("the operation timed out", Code.DeadlineExceeded);

/** Whether a call is aborted; asks a GrpcCallContext without making it build its signal. */
export const callAborted = (ctx: HandlerContext): boolean => (ctx instanceof GrpcCallContext ? ctx.aborted : ctx.signal.aborted);
