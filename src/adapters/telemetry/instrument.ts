import { SpanStatusCode, trace } from "@opentelemetry/api";

/**
 * Wraps a use case so each `execute` runs in its own span, a child of the RPC's server span and
 * the parent of its database spans. Done here, at composition, so the application layer stays
 * free of telemetry imports.
 */
export function tracedUseCase<T extends { execute: (...args: never[]) => unknown }>(name: string, useCase: T): T {
  const tracer = trace.getTracer("tollgate.application");
  const execute = useCase.execute.bind(useCase) as (...args: unknown[]) => unknown;
  const wrapped = Object.create(useCase) as T;
  Object.defineProperty(wrapped, "execute", {
    value: (...args: unknown[]) =>
      tracer.startActiveSpan(`usecase ${name}`, async (span) => {
        try {
          const result = await execute(...args);
          if (typeof result === "object" && result !== null && (result as { ok?: unknown }).ok === false) {
            const kind = (result as { error?: { kind?: string } }).error?.kind;
            span.setAttribute("tollgate.refusal", kind ?? "unknown");
          }
          return result;
        } catch (error) {
          span.recordException(error as Error);
          span.setStatus({ code: SpanStatusCode.ERROR });
          throw error;
        } finally {
          span.end();
        }
      }),
  });
  return wrapped;
}
