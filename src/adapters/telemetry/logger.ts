import { trace } from "@opentelemetry/api";
import { pino, type Logger } from "pino";

/**
 * JSON logs on stdout, each line carrying the active trace and span ids so a log line leads to
 * its trace. Secrets never reach the logger: the authorization header is redacted wherever it
 * appears.
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: "tollgate" },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: ["authorization", "*.authorization", "headers.authorization", "apiKey", "*.apiKey"], censor: "[redacted]" },
      mixin() {
        const span = trace.getActiveSpan();
        if (!span) return {};
        const { traceId, spanId } = span.spanContext();
        return { trace_id: traceId, span_id: spanId };
      },
    },
    destination,
  );
}
