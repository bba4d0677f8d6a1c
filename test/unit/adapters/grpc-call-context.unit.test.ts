import { afterEach, describe, expect, it, jest } from "@jest/globals";
import { Code, ConnectError } from "@connectrpc/connect";
import { GrpcCallContext, callAborted } from "../../../src/adapters/rpc/grpc-call-context.js";
import { CatalogService } from "../../../src/gen/tollgate/v1/catalog_pb.js";

const method = CatalogService.method.listPlans;
const contextWith = (timeoutMs: number | undefined) =>
  new GrpcCallContext(CatalogService, method, "/tollgate.v1.CatalogService/ListPlans", new Headers([["authorization", "Bearer k"]]), timeoutMs);

describe("the gRPC port's call context", () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  it("carries the call's identity and request headers", () => {
    const ctx = contextWith(undefined);
    expect(ctx.protocolName).toBe("grpc");
    expect(ctx.requestHeader.get("authorization")).toBe("Bearer k");
    expect(ctx.timeoutMs()).toBeUndefined();
    ctx.responseTrailer.set("x", "1");
    expect(ctx.responseTrailer.get("x")).toBe("1");
  });

  it("is not aborted while the call runs within its deadline", () => {
    const ctx = contextWith(60_000);
    expect(callAborted(ctx)).toBe(false);
    expect(ctx.signal.aborted).toBe(false);
    ctx.abort(new Error("ended"));
  });

  it("reports a passed deadline without a signal ever being made", () => {
    jest.useFakeTimers({ now: 1_000_000 });
    const ctx = contextWith(50);
    jest.setSystemTime(1_000_051);
    expect(callAborted(ctx)).toBe(true);
    const reason: unknown = ctx.signal.reason;
    expect(reason).toBeInstanceOf(ConnectError);
    expect((reason as ConnectError).code).toBe(Code.DeadlineExceeded);
  });

  it("aborts a signal already handed out when the deadline passes", () => {
    jest.useFakeTimers();
    const ctx = contextWith(50);
    const signal = ctx.signal;
    const seen: unknown[] = [];
    signal.addEventListener("abort", () => seen.push(signal.reason));
    jest.advanceTimersByTime(49);
    expect(signal.aborted).toBe(false);
    jest.advanceTimersByTime(1);
    expect(signal.aborted).toBe(true);
    expect((seen[0] as ConnectError).code).toBe(Code.DeadlineExceeded);
  });

  it("gives a signal asked for after the call was aborted that reason, the first one given", () => {
    const ctx = contextWith(undefined);
    const cancelled = new ConnectError("the caller cancelled the call", Code.Canceled);
    ctx.abort(cancelled);
    ctx.abort(new Error("later"));
    expect(callAborted(ctx)).toBe(true);
    expect(ctx.signal.aborted).toBe(true);
    expect(ctx.signal.reason).toBe(cancelled);
  });

  it("stops the deadline timer when the call is aborted first", () => {
    jest.useFakeTimers();
    const ctx = contextWith(50);
    const signal = ctx.signal;
    const ended = new Error("ended");
    ctx.abort(ended);
    jest.advanceTimersByTime(100);
    expect(signal.reason).toBe(ended);
    expect(jest.getTimerCount()).toBe(0);
  });
});
