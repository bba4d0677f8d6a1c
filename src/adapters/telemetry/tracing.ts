import { trace, type Tracer } from "@opentelemetry/api";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { AlwaysOffSampler, BatchSpanProcessor, SimpleSpanProcessor, type SpanExporter, type SpanProcessor } from "@opentelemetry/sdk-trace-base";
import { NodeTracerProvider } from "@opentelemetry/sdk-trace-node";

export type Tracing = {
  readonly tracer: Tracer;
  /** Flushes pending spans and stops exporting. */
  shutdown(): Promise<void>;
};

type Env = Readonly<Record<string, string | undefined>>;

/** True when the standard OTEL_* variables ask for OTLP trace export. */
export function otlpTracesConfigured(env: Env): boolean {
  const exporter = env["OTEL_TRACES_EXPORTER"];
  if (exporter !== undefined && exporter !== "" && exporter !== "otlp") return false;
  return Boolean(env["OTEL_EXPORTER_OTLP_ENDPOINT"] || env["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] || exporter === "otlp");
}

let installed: NodeTracerProvider | undefined;

/**
 * Installs the global tracer provider from the standard OTEL_* variables. Spans are always
 * created (so logs carry trace ids and incoming `traceparent` is continued), but they are
 * recorded and leave the process only when an exporter is configured: no endpoint means no
 * export, no noise and no recording cost.
 * `extraExporter` lets tests collect spans in memory.
 */
export function setupTracing(env: Env, extraExporter?: SpanExporter): Tracing {
  const processors: SpanProcessor[] = [];
  if (env["OTEL_SDK_DISABLED"] !== "true" && otlpTracesConfigured(env)) processors.push(new BatchSpanProcessor(new OTLPTraceExporter()));
  if (extraExporter) processors.push(new SimpleSpanProcessor(extraExporter));
  if (installed) {
    // One provider per process: a second server in the same process (tests) shares it.
    return { tracer: trace.getTracer("tollgate"), shutdown: async () => {} };
  }
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ "service.name": env["OTEL_SERVICE_NAME"] || "tollgate" }),
    spanProcessors: processors,
    // With nowhere to send spans, record none: spans still get trace and span ids (logs carry
    // them, a caller's traceparent is continued) but keep no attributes, events or timings,
    // which every call would otherwise pay for.
    ...(processors.length === 0 ? { sampler: new AlwaysOffSampler() } : {}),
  });
  provider.register();
  installed = provider;
  return {
    tracer: trace.getTracer("tollgate"),
    shutdown: async () => {
      await provider.shutdown();
    },
  };
}
