import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import * as grpc from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import { validate as validateDockerfile } from "dockerfile-utils";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { basename, delimiter, dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parse as parseYaml, parseAllDocuments } from "yaml";
import { METRICS, type MetricSpec } from "../support/metric-catalog.js";

/**
 * The deploy/ directory cannot be run here (no container engine, no cluster), so it is checked
 * by what can be checked offline: every file parses; compose.yaml, the Kubernetes manifests and
 * the Grafana dashboard validate against the JSON schemas vendored in deploy/schemas; the files
 * agree with each other and with the metrics Tollgate serves; promtool checks the Prometheus
 * files when it is installed; and the container health check runs against real gRPC servers.
 */

const root = join(fileURLToPath(import.meta.url), "..", "..", "..");
const deploy = join(root, "deploy");
const schemas = join(deploy, "schemas");
const k8sSchemas = join(schemas, "kubernetes", "v1.27-strict");

/** Labels Prometheus adds to every scraped series. */
const targetLabels = ["instance", "job"];
const METRICS_PORT = 9464;
const GRPC_PORT = 50051;
const HTTP_PORT = 8080;

// ---- helpers -----------------------------------------------------------------------------------

type Obj = Record<string, unknown>;

function read(path: string): string {
  return readFileSync(join(deploy, path), "utf8");
}

function yaml<T = Obj>(path: string): T {
  return parseYaml(read(path), { merge: true }) as T;
}

function yamlDocuments(path: string): Obj[] {
  return parseAllDocuments(read(path), { merge: true }).map((document) => document.toJS() as Obj);
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

function onPath(tool: string): string | undefined {
  for (const dir of (process.env["PATH"] ?? "").split(delimiter)) {
    const candidate = join(dir, tool);
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** Strict: an unknown keyword or a malformed schema fails to compile (strictTypes is off for compose-spec.json). */
const newAjv = () => new Ajv({ allErrors: true, strict: true, strictTypes: false });
const ajv = newAjv();
const validators = new Map<string, ValidateFunction>();

function schemaFile(path: string): Obj {
  const schema = JSON.parse(readFileSync(path, "utf8")) as Obj;
  // compose-spec.json names draft-07 by its https URL, which Ajv knows by its http one.
  delete schema["$schema"];
  return schema;
}

function explain(errors: ErrorObject[] | null | undefined): string {
  return (errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message ?? ""} ${JSON.stringify(e.params)}`).join("\n");
}

/** Validates `data` against the schema in `schemaPath`; on failure the message lists every error. */
function expectValid(schemaPath: string, data: unknown, what: string): void {
  const validate = validators.get(schemaPath) ?? ajv.compile(schemaFile(schemaPath));
  validators.set(schemaPath, validate);
  const ok = validate(data);
  if (!ok) throw new Error(`${what} does not match ${relative(root, schemaPath)}:\n${explain(validate.errors)}`);
}

// ---- PromQL: just enough of a parser to know which series and labels an expression reads -------

type Matcher = { label: string; op: string; value: string };
type Selector = { metric: string; matchers: Matcher[] };
type Query = { selectors: Selector[]; grouping: string[] };

const aggregations = new Set(["sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values", "bottomk", "topk", "quantile", "limitk", "limit_ratio"]);
const groupingKeywords = new Set(["by", "without", "on", "ignoring", "group_left", "group_right"]);
const keywords = new Set(["and", "or", "unless", "bool", "offset", "atan2"]);

function parsePromQL(expr: string): Query {
  type Token = { kind: "ident" | "string" | "number" | "var" | "punct"; text: string };
  const tokens: Token[] = [];
  const pattern =
    /\s+|("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)|(\$\{[^}]*\}|\$[A-Za-z_]\w*)|([A-Za-z_:][A-Za-z0-9_:]*)|(\d+(?:\.\d+)?(?:e[+-]?\d+)?(?:ms|s|m|h|d|w|y)*)|(=~|!~|!=|==|>=|<=|[{}()[\],=<>+\-*/%^@:])/y;
  let at = 0;
  while (at < expr.length) {
    pattern.lastIndex = at;
    const m = pattern.exec(expr);
    if (!m || m[0].length === 0) throw new Error(`cannot read PromQL at column ${at + 1}: ${expr.slice(at, at + 20)}`);
    at = pattern.lastIndex;
    if (m[1] !== undefined) tokens.push({ kind: "string", text: m[1].slice(1, -1) });
    else if (m[2] !== undefined) tokens.push({ kind: "var", text: m[2] });
    else if (m[3] !== undefined) tokens.push({ kind: "ident", text: m[3] });
    else if (m[4] !== undefined) tokens.push({ kind: "number", text: m[4] });
    else if (m[5] !== undefined) tokens.push({ kind: "punct", text: m[5] });
  }
  const selectors: Selector[] = [];
  const grouping: string[] = [];
  let depth = 0;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    const next = tokens[i + 1];
    if (token.text === "(" && token.kind === "punct") depth++;
    if (token.text === ")" && token.kind === "punct") depth--;
    if (token.kind === "punct" && token.text === "[") {
      while (i < tokens.length && tokens[i]!.text !== "]") i++;
      continue;
    }
    if (token.kind === "punct" && token.text === "{") throw new Error(`a selector without a metric name in: ${expr}`);
    if (token.kind !== "ident") continue;
    if (groupingKeywords.has(token.text)) {
      if (next?.text === "(") {
        for (i += 2; i < tokens.length && tokens[i]!.text !== ")"; i++) if (tokens[i]!.kind === "ident") grouping.push(tokens[i]!.text);
      }
      continue;
    }
    if (keywords.has(token.text) || aggregations.has(token.text) || next?.text === "(") continue;
    const selector: Selector = { metric: token.text, matchers: [] };
    if (next?.text === "{") {
      for (i += 2; i < tokens.length && tokens[i]!.text !== "}"; i++) {
        if (tokens[i]!.text === ",") continue;
        const [label, op, value] = [tokens[i], tokens[i + 1], tokens[i + 2]];
        if (label?.kind !== "ident" || op?.kind !== "punct" || value?.kind !== "string") throw new Error(`cannot read the label matchers of ${token.text} in: ${expr}`);
        selector.matchers.push({ label: label.text, op: op.text, value: value.text });
        i += 2;
      }
    }
    selectors.push(selector);
  }
  if (depth !== 0) throw new Error(`unbalanced parentheses in: ${expr}`);
  return { selectors, grouping };
}

/** The metric family a series name belongs to (histograms are read through _bucket, _sum, _count). */
function familyOf(series: string): { name: string; spec: MetricSpec; suffix: string } | undefined {
  for (const [name, spec] of Object.entries(METRICS)) {
    const suffixes = spec.type === "histogram" ? ["_bucket", "_sum", "_count"] : [""];
    for (const suffix of suffixes) if (series === name + suffix) return { name, spec, suffix };
  }
  return undefined;
}

const allLabels = new Set([...Object.values(METRICS).flatMap((spec) => Object.keys(spec.labels)), "le", ...targetLabels]);

/** Every problem with the series and labels `expr` uses, as readable lines; empty when it is right. */
function metricProblems(expr: string, where: string): string[] {
  const problems: string[] = [];
  const { selectors, grouping } = parsePromQL(expr);
  if (selectors.length === 0) problems.push(`${where}: reads no metric`);
  for (const { metric, matchers } of selectors) {
    const family = familyOf(metric);
    if (!family) {
      problems.push(`${where}: ${metric} is not a metric Tollgate serves`);
      continue;
    }
    for (const { label, op, value } of matchers) {
      const known = label === "le" ? (family.suffix === "_bucket" ? null : undefined) : targetLabels.includes(label) ? null : family.spec.labels[label];
      if (known === undefined) {
        problems.push(`${where}: ${metric} has no label ${label}`);
        continue;
      }
      if (known === null) continue;
      const values = op === "=~" || op === "!~" ? value.split("|").filter((v) => /^\w+$/.test(v)) : [value];
      for (const v of values) if (!known.includes(v)) problems.push(`${where}: ${metric}{${label}} is never "${v}" (it is one of ${known.join(", ")})`);
    }
  }
  for (const label of grouping) if (!allLabels.has(label)) problems.push(`${where}: groups by ${label}, which no Tollgate metric has`);
  return problems;
}

// ---- the files ---------------------------------------------------------------------------------

type ComposeService = {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  ports?: string[];
  volumes?: string[];
  stop_grace_period?: string;
  healthcheck?: { test: string[] };
};
type Compose = { services: Record<string, ComposeService>; volumes?: Record<string, unknown> };

type Probe = { grpc?: { port: number; service?: string }; httpGet?: unknown; tcpSocket?: unknown; exec?: unknown };
type Container = {
  name: string;
  image: string;
  command?: string[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  ports?: { name: string; containerPort: number }[];
  startupProbe?: Probe;
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  lifecycle?: { preStop?: { exec?: { command: string[] } } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: { readOnlyRootFilesystem?: boolean; allowPrivilegeEscalation?: boolean; runAsNonRoot?: boolean };
  volumeMounts?: { name: string; mountPath: string }[];
};
type PodTemplate = {
  metadata: { labels: Record<string, string>; annotations?: Record<string, string> };
  spec: {
    containers: Container[];
    securityContext?: { runAsNonRoot?: boolean; runAsUser?: number };
    terminationGracePeriodSeconds?: number;
    volumes?: { name: string; emptyDir?: object }[];
    restartPolicy?: string;
  };
};
type K8sObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: Obj;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  type?: string;
};

type DashboardTarget = { expr?: string; legendFormat?: string; datasource?: { type?: string; uid?: string } };
type DashboardPanel = {
  id: number;
  type: string;
  title?: string;
  datasource?: { type?: string; uid?: string };
  gridPos?: { h: number; w: number; x: number; y: number };
  targets?: DashboardTarget[];
  panels?: DashboardPanel[];
};
type Dashboard = {
  uid: string;
  title: string;
  schemaVersion: number;
  panels: DashboardPanel[];
  templating: { list: { name: string; type: string; query?: unknown }[] };
};

type AlertRule = { alert?: string; record?: string; expr: string; for?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
type RuleFile = { groups: { name: string; rules: AlertRule[] }[] };

const k8sDir = join(deploy, "k8s");
const manifestFiles = readdirSync(k8sDir).filter((f) => /\.ya?ml$/.test(f) && f !== "kustomization.yaml").sort();
const manifests: { file: string; object: K8sObject }[] = manifestFiles.flatMap((file) =>
  yamlDocuments(join("k8s", file)).map((object) => ({ file, object: object as K8sObject })),
);

function manifest<T = K8sObject>(kind: string): T {
  const found = manifests.filter((m) => m.object.kind === kind);
  if (found.length !== 1) throw new Error(`expected one ${kind} in deploy/k8s, found ${found.length}`);
  return found[0]!.object as T;
}

function podTemplate(kind: "Deployment" | "Job"): PodTemplate {
  return (manifest(kind).spec as { template: PodTemplate }).template;
}

function durationSeconds(text: string): number {
  const m = /^(\d+)(ms|s|m|h)$/.exec(text);
  if (!m) throw new Error(`not a duration: ${text}`);
  return Number(m[1]) * { ms: 0.001, s: 1, m: 60, h: 3600 }[m[2] as "ms" | "s" | "m" | "h"];
}

// ---- tests -------------------------------------------------------------------------------------

describe("every file in deploy/", () => {
  const files = filesUnder(deploy).map((path) => relative(deploy, path));

  it("parses: every YAML file without errors or warnings, every JSON file as JSON", () => {
    const yamlFiles = files.filter((f) => /\.ya?ml$/.test(f));
    const jsonFiles = files.filter((f) => f.endsWith(".json"));
    expect(yamlFiles.length).toBeGreaterThanOrEqual(15);
    expect(jsonFiles.length).toBeGreaterThanOrEqual(10);
    for (const file of yamlFiles) {
      for (const document of parseAllDocuments(read(file), { merge: true, prettyErrors: true })) {
        expect({ file, problems: [...document.errors, ...document.warnings].map((e) => e.message) }).toEqual({ file, problems: [] });
      }
    }
    for (const file of jsonFiles) expect(() => JSON.parse(read(file))).not.toThrow();
  });

  it("has every vendored schema compile in strict mode", () => {
    for (const path of filesUnder(schemas).filter((f) => f.endsWith(".json"))) {
      expect(() => newAjv().compile(schemaFile(path))).not.toThrow();
    }
  });
});

describe("the container image (deploy/Dockerfile)", () => {
  const text = read("Dockerfile");
  type Instruction = { keyword: string; args: string };
  const instructions: Instruction[] = text
    .replace(/\\\n/g, " ")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith("#"))
    .map((line) => {
      const [keyword = "", ...rest] = line.split(/\s+/);
      return { keyword: keyword.toUpperCase(), args: rest.join(" ") };
    });
  const stages: Instruction[][] = [];
  for (const instruction of instructions) {
    if (instruction.keyword === "FROM") stages.push([]);
    stages.at(-1)?.push(instruction);
  }
  const build = stages[0] ?? [];
  const runtime = stages.at(-1) ?? [];
  const args = (stage: Instruction[], keyword: string) => stage.filter((i) => i.keyword === keyword).map((i) => i.args);

  it("has no problem a Dockerfile linter (dockerfile-utils) reports", () => {
    expect(validateDockerfile(text, {}).map((d) => `line ${d.range.start.line + 1}: ${d.message}`)).toEqual([]);
  });

  it("builds in a node:20-bookworm-slim stage with npm ci, npm run build and npm prune --omit=dev", () => {
    expect(stages.length).toBe(2);
    expect(args(build, "FROM")[0]).toMatch(/^node:20-bookworm-slim AS build$/i);
    const runs = args(build, "RUN").join(" && ");
    expect(runs).toMatch(/npm ci\b/);
    expect(runs).toMatch(/npm run build\b.*npm prune --omit=dev/);
  });

  it("copies only the compiled code, production modules, the protos and the health check into the runtime stage", () => {
    expect(args(runtime, "FROM")[0]).toMatch(/^node:20-bookworm-slim\b/);
    const copies = args(runtime, "COPY").map((a) => a.split(/\s+/).filter((w) => !w.startsWith("--")));
    const sources = copies.map((words) => words.slice(0, -1).join(" "));
    expect(sources.sort()).toEqual(
      ["/app/dist", "/app/node_modules", "/app/package.json", "/app/proto", "/app/third_party/proto", "deploy/healthcheck.mjs"].sort(),
    );
    expect(args(runtime, "COPY").filter((a) => !a.includes("deploy/healthcheck.mjs")).every((a) => a.startsWith("--from=build"))).toBe(true);
    expect(existsSync(join(root, "third_party", "proto", "grpc", "health", "v1", "health.proto"))).toBe(true);
  });

  it("runs as the non-root uid 10001, the uid the Kubernetes pods run as", () => {
    const users = args(runtime, "USER");
    expect(users.length).toBe(1);
    const user = users[0]!.split(":")[0]!;
    expect(user).not.toMatch(/^(root|0)$/);
    expect(user).toBe("10001");
    expect(podTemplate("Deployment").spec.securityContext?.runAsUser).toBe(10001);
    expect(podTemplate("Job").spec.securityContext?.runAsUser).toBe(10001);
  });

  it("exposes the gRPC, HTTP and metrics ports and health-checks with deploy/healthcheck.mjs", () => {
    expect(args(runtime, "EXPOSE").join(" ").split(/\s+/).sort()).toEqual([String(GRPC_PORT), String(HTTP_PORT), String(METRICS_PORT)].sort());
    const healthchecks = args(runtime, "HEALTHCHECK");
    expect(healthchecks.length).toBe(1);
    const command = JSON.parse(healthchecks[0]!.replace(/^.*?\bCMD\s+/, "")) as string[];
    expect(command).toEqual(["node", "deploy/healthcheck.mjs"]);
  });

  it("starts node directly (exec form, no npm or shell) so SIGTERM reaches the server", () => {
    const cmds = args(runtime, "CMD");
    expect(cmds.length).toBe(1);
    expect(JSON.parse(cmds[0]!)).toEqual(["node", "dist/src/cli.js", "serve"]);
    expect(args(runtime, "ENTRYPOINT")).toEqual([]);
  });

  it("keeps local build output and data out of the build context (.dockerignore)", () => {
    const ignored = readFileSync(join(root, ".dockerignore"), "utf8").split("\n").map((l) => l.trim());
    for (const entry of ["node_modules", "dist", "data", ".git"]) expect(ignored).toContain(entry);
    for (const file of ["package.json", "package-lock.json", "tsconfig.json", "tsconfig.build.json", "buf.yaml", "buf.gen.yaml"]) {
      expect(existsSync(join(root, file))).toBe(true);
    }
  });
});

describe("compose.yaml", () => {
  const compose = yaml<Compose>("compose.yaml");
  const service = (name: string): ComposeService => {
    const found = compose.services[name];
    if (!found) throw new Error(`compose.yaml has no service ${name}`);
    return found;
  };

  it("matches the Compose Specification schema", () => {
    expectValid(join(schemas, "compose-spec.json"), compose, "deploy/compose.yaml");
  });

  it("runs postgres, migrate, tollgate, otel-collector, prometheus and grafana", () => {
    expect(Object.keys(compose.services).sort()).toEqual(["grafana", "migrate", "otel-collector", "postgres", "prometheus", "tollgate"]);
  });

  it("builds the tollgate image from the repository root with deploy/Dockerfile", () => {
    for (const name of ["migrate", "tollgate"]) {
      const { build, image } = service(name);
      expect(image).toBe(service("tollgate").image);
      expect(build).toBeDefined();
      const context = join(deploy, build!.context);
      expect(context).toBe(root);
      expect(existsSync(join(context, build!.dockerfile))).toBe(true);
    }
  });

  it("migrates once Postgres is healthy, and starts the server only after migrations succeeded", () => {
    expect(service("postgres").image).toMatch(/^postgres:15\b/);
    expect(service("postgres").healthcheck?.test.join(" ")).toMatch(/pg_isready/);
    expect(service("postgres").volumes?.some((v) => v.endsWith(":/var/lib/postgresql/data"))).toBe(true);
    expect(service("migrate").command).toEqual(["node", "dist/src/cli.js", "migrate"]);
    expect(service("migrate").depends_on?.["postgres"]?.condition).toBe("service_healthy");
    expect(service("tollgate").depends_on?.["migrate"]?.condition).toBe("service_completed_successfully");
    expect(service("migrate").environment?.["DATABASE_URL"]).toBe(service("tollgate").environment?.["DATABASE_URL"]);
    expect(service("tollgate").environment?.["DATABASE_URL"]).toMatch(/^postgres:\/\/[^@]+@postgres:5432\//);
  });

  it("configures the server's ports, metrics port and trace export to the collector", () => {
    const env = service("tollgate").environment ?? {};
    expect(env["TOLLGATE_METRICS_PORT"]).toBe(String(METRICS_PORT));
    expect(env["OTEL_EXPORTER_OTLP_ENDPOINT"]).toBe("http://otel-collector:4318");
    expect(env["OTEL_SERVICE_NAME"]).toBe("tollgate");
    expect(service("tollgate").ports).toEqual(expect.arrayContaining([`${GRPC_PORT}:${GRPC_PORT}`, `${HTTP_PORT}:${HTTP_PORT}`]));
  });

  it("gives the server a stop grace period longer than its shutdown grace", () => {
    const graceMs = Number(service("tollgate").environment?.["TOLLGATE_SHUTDOWN_GRACE_MS"] ?? "10000");
    expect(service("tollgate").stop_grace_period).toBe("15s");
    expect(durationSeconds(service("tollgate").stop_grace_period!)).toBeGreaterThan(graceMs / 1000);
  });

  it("mounts only files that exist in deploy/", () => {
    for (const [name, { volumes = [] }] of Object.entries(compose.services)) {
      for (const volume of volumes) {
        const [source = ""] = volume.split(":");
        if (source.startsWith(".")) expect({ service: name, source, exists: existsSync(join(deploy, source)) }).toEqual({ service: name, source, exists: true });
        else expect(Object.keys(compose.volumes ?? {})).toContain(source);
      }
    }
  });

  it("hands each observability container the config file it reads", () => {
    const mountTarget = (name: string, source: string) =>
      service(name).volumes?.map((v) => v.split(":")).find(([s]) => s === source)?.[1];
    const collectorConfig = mountTarget("otel-collector", "./otel-collector.yaml");
    expect(service("otel-collector").image).toMatch(/^otel\/opentelemetry-collector-contrib:/);
    expect(service("otel-collector").command).toContain(`--config=${collectorConfig}`);
    expect(service("prometheus").image).toMatch(/^prom\/prometheus:/);
    const promConfig = mountTarget("prometheus", "./prometheus/prometheus.yml");
    expect(service("prometheus").command).toContain(`--config.file=${promConfig}`);
    // rule_files are relative to the config file, so alerts.yml must sit next to it in the container.
    const rules = yaml<{ rule_files: string[] }>("prometheus/prometheus.yml").rule_files;
    for (const file of rules) expect(mountTarget("prometheus", `./prometheus/${file}`)).toBe(join(dirname(promConfig!), file));
    expect(service("grafana").image).toMatch(/^grafana\/grafana:/);
    expect(mountTarget("grafana", "./grafana/provisioning")).toBe("/etc/grafana/provisioning");
    const provider = yaml<{ providers: { type: string; options: { path: string } }[] }>("grafana/provisioning/dashboards/tollgate.yaml").providers;
    expect(provider.length).toBe(1);
    expect(provider[0]!.type).toBe("file");
    expect(mountTarget("grafana", "./grafana/dashboards")).toBe(provider[0]!.options.path);
    expect(existsSync(join(deploy, "grafana", "dashboards", "tollgate.json"))).toBe(true);
  });

  it("points Grafana's default data source at the prometheus service", () => {
    const { apiVersion, datasources } = yaml<{ apiVersion: number; datasources: { type: string; url: string; isDefault?: boolean }[] }>(
      "grafana/provisioning/datasources/prometheus.yaml",
    );
    expect(apiVersion).toBe(1);
    expect(datasources.filter((d) => d.isDefault)).toEqual([expect.objectContaining({ type: "prometheus", url: "http://prometheus:9090" })]);
    expect(service("prometheus").ports).toContain("9090:9090");
  });
});

describe("the OpenTelemetry collector config (deploy/otel-collector.yaml)", () => {
  type Pipeline = { receivers?: string[]; processors?: string[]; exporters?: string[] };
  type CollectorConfig = {
    receivers: Record<string, { protocols?: Record<string, { endpoint?: string }> }>;
    processors?: Record<string, unknown>;
    exporters: Record<string, unknown>;
    extensions?: Record<string, unknown>;
    connectors?: Record<string, unknown>;
    service: { extensions?: string[]; pipelines: Record<string, Pipeline> };
  };
  const config = yaml<CollectorConfig>("otel-collector.yaml");
  const knownTypes = {
    receivers: ["otlp", "prometheus", "hostmetrics"],
    processors: ["batch", "memory_limiter", "resource", "attributes", "filter", "transform", "tail_sampling", "probabilistic_sampler"],
    exporters: ["debug", "otlp", "otlphttp", "prometheus", "prometheusremotewrite", "file"],
    extensions: ["health_check", "zpages", "pprof"],
  } as const;

  it("only declares sections the collector knows", () => {
    expect(Object.keys(config).filter((k) => !["receivers", "processors", "exporters", "extensions", "connectors", "service"].includes(k))).toEqual([]);
    for (const [section, types] of Object.entries(knownTypes)) {
      const declared = Object.keys((config as unknown as Record<string, Obj | undefined>)[section] ?? {});
      for (const id of declared) expect({ section, id, known: (types as readonly string[]).includes(id.split("/")[0]!) }).toEqual({ section, id, known: true });
    }
  });

  it("has pipelines whose receivers, processors and exporters are all declared, and uses everything it declares", () => {
    const pipelines = Object.entries(config.service.pipelines);
    expect(pipelines.length).toBeGreaterThan(0);
    const used = { receivers: new Set<string>(), processors: new Set<string>(), exporters: new Set<string>() };
    for (const [name, pipeline] of pipelines) {
      expect(name).toMatch(/^(traces|metrics|logs)(\/[\w-]+)?$/);
      expect(pipeline.receivers?.length).toBeGreaterThan(0);
      expect(pipeline.exporters?.length).toBeGreaterThan(0);
      for (const kind of ["receivers", "processors", "exporters"] as const) {
        for (const id of pipeline[kind] ?? []) {
          const declared = Object.keys(config[kind] ?? {}).includes(id) || Object.keys(config.connectors ?? {}).includes(id);
          expect({ pipeline: name, [kind]: id, declared }).toEqual({ pipeline: name, [kind]: id, declared: true });
          used[kind].add(id);
        }
      }
      // memory_limiter must run first to protect the rest of the pipeline.
      if (pipeline.processors?.includes("memory_limiter")) expect(pipeline.processors[0]).toBe("memory_limiter");
    }
    for (const kind of ["receivers", "processors", "exporters"] as const) expect(Object.keys(config[kind] ?? {}).sort()).toEqual([...used[kind]].sort());
    for (const id of config.service.extensions ?? []) expect(Object.keys(config.extensions ?? {})).toContain(id);
  });

  it("receives OTLP over HTTP on the port compose sends Tollgate's traces to, and over gRPC", () => {
    const protocols = config.receivers["otlp"]?.protocols ?? {};
    expect(protocols["http"]?.endpoint).toBe("0.0.0.0:4318");
    expect(protocols["grpc"]?.endpoint).toBe("0.0.0.0:4317");
    const sentTo = new URL(yaml<Compose>("compose.yaml").services["tollgate"]?.environment?.["OTEL_EXPORTER_OTLP_ENDPOINT"] ?? "");
    expect(sentTo.hostname).toBe("otel-collector");
    expect(sentTo.port).toBe("4318");
    expect(config.service.pipelines["traces"]?.receivers).toContain("otlp");
  });
});

describe("the Kubernetes manifests (deploy/k8s)", () => {
  const expectedKinds = ["ConfigMap", "Deployment", "HorizontalPodAutoscaler", "Job", "Namespace", "PodDisruptionBudget", "Secret", "Service"];

  it("are the Namespace, ConfigMap, Secret, migration Job, Deployment, Service, HPA and PDB", () => {
    expect(manifests.map((m) => m.object.kind).sort()).toEqual(expectedKinds);
  });

  it("each match the strict Kubernetes JSON schema of their kind", () => {
    for (const { file, object } of manifests) {
      const [group, version] = object.apiVersion.includes("/") ? object.apiVersion.split("/") : ["", object.apiVersion];
      const schemaName = [object.kind.toLowerCase(), group?.split(".")[0], version].filter(Boolean).join("-") + ".json";
      const schemaPath = join(k8sSchemas, schemaName);
      expect({ file, schema: schemaName, vendored: existsSync(schemaPath) }).toEqual({ file, schema: schemaName, vendored: true });
      expectValid(schemaPath, object, `deploy/k8s/${file} (${object.kind} ${object.metadata?.name})`);
    }
  });

  it("all live in the tollgate namespace, and kustomization.yaml lists every manifest", () => {
    expect(manifest("Namespace").metadata.name).toBe("tollgate");
    for (const { object } of manifests.filter((m) => m.object.kind !== "Namespace")) expect(object.metadata.namespace).toBe("tollgate");
    const kustomization = yaml<{ apiVersion: string; kind: string; namespace: string; resources: string[] }>("k8s/kustomization.yaml");
    expect(kustomization.apiVersion).toBe("kustomize.config.k8s.io/v1beta1");
    expect(kustomization.kind).toBe("Kustomization");
    expect(kustomization.namespace).toBe("tollgate");
    expect([...kustomization.resources].sort()).toEqual(manifestFiles);
  });

  it("put the non-secret settings in the ConfigMap, with the metrics port 9464", () => {
    const data = manifest("ConfigMap").data ?? {};
    for (const key of ["TOLLGATE_GRPC_PORT", "TOLLGATE_HTTP_PORT", "TOLLGATE_METRICS_PORT", "TOLLGATE_LOG_LEVEL", "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_SERVICE_NAME"]) {
      expect(Object.keys(data)).toContain(key);
    }
    expect(data["TOLLGATE_GRPC_PORT"]).toBe(String(GRPC_PORT));
    expect(data["TOLLGATE_HTTP_PORT"]).toBe(String(HTTP_PORT));
    expect(data["TOLLGATE_METRICS_PORT"]).toBe(String(METRICS_PORT));
    expect(Object.keys(data).some((k) => k === "DATABASE_URL")).toBe(false);
    const secret = manifest("Secret");
    expect(secret.type).toBe("Opaque");
    expect(Object.keys(secret.stringData ?? {})).toEqual(["DATABASE_URL"]);
    expect(secret.stringData?.["DATABASE_URL"]).toMatch(/^postgres(ql)?:\/\//);
  });

  it("load the ConfigMap and the Secret into the server and the migration Job", () => {
    const configName = manifest("ConfigMap").metadata.name;
    const secretName = manifest("Secret").metadata.name;
    for (const kind of ["Deployment", "Job"] as const) {
      for (const container of podTemplate(kind).spec.containers) {
        expect(container.envFrom?.map((e) => e.configMapRef?.name).filter(Boolean)).toEqual([configName]);
        expect(container.envFrom?.map((e) => e.secretRef?.name).filter(Boolean)).toEqual([secretName]);
      }
    }
  });

  it("run migrations in a Job that retries a bounded number of times and cleans itself up", () => {
    const job = manifest("Job").spec as { backoffLimit?: number; ttlSecondsAfterFinished?: number };
    expect(job.backoffLimit).toBeGreaterThan(0);
    expect(job.ttlSecondsAfterFinished).toBeGreaterThan(0);
    const pod = podTemplate("Job");
    expect(pod.spec.restartPolicy).toMatch(/^(Never|OnFailure)$/);
    expect(pod.spec.containers.map((c) => c.command)).toEqual([["node", "dist/src/cli.js", "migrate"]]);
  });

  it("run 3 server replicas that serve gRPC 50051, HTTP 8080 and metrics 9464", () => {
    expect((manifest("Deployment").spec as { replicas: number }).replicas).toBe(3);
    const [container, ...others] = podTemplate("Deployment").spec.containers;
    expect(others).toEqual([]);
    expect(container!.command).toEqual(["node", "dist/src/cli.js", "serve"]);
    expect(container!.ports?.map((p) => [p.name, p.containerPort])).toEqual([["grpc", GRPC_PORT], ["http", HTTP_PORT], ["metrics", METRICS_PORT]]);
  });

  it("every Deployment probe uses the gRPC health port", () => {
    const container = podTemplate("Deployment").spec.containers[0]!;
    for (const probe of ["startupProbe", "readinessProbe", "livenessProbe"] as const) {
      expect({ probe, grpc: container[probe]?.grpc }).toEqual({ probe, grpc: { port: GRPC_PORT } });
      expect(Object.keys(container[probe] ?? {}).filter((k) => ["httpGet", "tcpSocket", "exec"].includes(k))).toEqual([]);
    }
  });

  it("let endpoints drain before SIGTERM, within the termination grace period", () => {
    const pod = podTemplate("Deployment");
    const container = pod.spec.containers[0]!;
    const preStop = container.lifecycle?.preStop?.exec?.command ?? [];
    expect(preStop[0]).toBe("sleep");
    const sleepSeconds = Number(preStop[1]);
    expect(sleepSeconds).toBeGreaterThan(0);
    const graceMs = Number(manifest("ConfigMap").data?.["TOLLGATE_SHUTDOWN_GRACE_MS"] ?? "10000");
    expect(pod.spec.terminationGracePeriodSeconds).toBe(20);
    expect(sleepSeconds + graceMs / 1000).toBeLessThan(pod.spec.terminationGracePeriodSeconds!);
  });

  it("run as non-root on a read-only root filesystem, with an emptyDir for /tmp, and with resources set", () => {
    for (const kind of ["Deployment", "Job"] as const) {
      const pod = podTemplate(kind);
      expect(pod.spec.securityContext?.runAsNonRoot).toBe(true);
      for (const container of pod.spec.containers) {
        expect(container.securityContext).toEqual(expect.objectContaining({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false }));
        const tmp = container.volumeMounts?.find((m) => m.mountPath === "/tmp");
        expect(tmp).toBeDefined();
        expect(pod.spec.volumes?.find((v) => v.name === tmp!.name)?.emptyDir).toBeDefined();
        for (const part of ["requests", "limits"] as const) expect(Object.keys(container.resources?.[part] ?? {}).sort()).toEqual(["cpu", "memory"]);
      }
    }
  });

  it("ask Prometheus to scrape the metrics port", () => {
    const annotations = podTemplate("Deployment").metadata.annotations ?? {};
    expect(annotations["prometheus.io/scrape"]).toBe("true");
    expect(annotations["prometheus.io/port"]).toBe(String(METRICS_PORT));
    expect(annotations["prometheus.io/path"]).toBe("/metrics");
  });

  it("expose the pods through a ClusterIP Service with named ports and appProtocol", () => {
    const spec = manifest("Service").spec as {
      type: string;
      selector: Record<string, string>;
      ports: { name: string; port: number; targetPort: string | number; appProtocol?: string }[];
    };
    expect(spec.type).toBe("ClusterIP");
    const podLabels = podTemplate("Deployment").metadata.labels;
    for (const [key, value] of Object.entries(spec.selector)) expect(podLabels[key]).toBe(value);
    const containerPorts = podTemplate("Deployment").spec.containers[0]!.ports ?? [];
    expect(spec.ports.map((p) => [p.name, p.port])).toEqual([["grpc", GRPC_PORT], ["http", HTTP_PORT], ["metrics", METRICS_PORT]]);
    for (const port of spec.ports) {
      expect(port.appProtocol).toBeTruthy();
      expect(containerPorts.find((c) => c.name === port.targetPort || c.containerPort === port.targetPort)?.containerPort).toBe(port.port);
    }
  });

  it("autoscale the Deployment on 70% CPU between 3 and 20 replicas, and keep 2 available through disruptions", () => {
    const hpa = manifest("HorizontalPodAutoscaler");
    expect(hpa.apiVersion).toBe("autoscaling/v2");
    const spec = hpa.spec as {
      scaleTargetRef: { kind: string; name: string };
      minReplicas: number;
      maxReplicas: number;
      metrics: { type: string; resource?: { name: string; target: { type: string; averageUtilization?: number } } }[];
    };
    expect(spec.scaleTargetRef).toEqual(expect.objectContaining({ kind: "Deployment", name: manifest("Deployment").metadata.name }));
    expect([spec.minReplicas, spec.maxReplicas]).toEqual([3, 20]);
    expect(spec.metrics).toEqual([{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 70 } } }]);
    const pdb = manifest("PodDisruptionBudget");
    expect(pdb.apiVersion).toBe("policy/v1");
    const pdbSpec = pdb.spec as { minAvailable: number; selector: { matchLabels: Record<string, string> } };
    expect(pdbSpec.minAvailable).toBe(2);
    expect(pdbSpec.minAvailable).toBeLessThan(spec.minReplicas);
    const podLabels = podTemplate("Deployment").metadata.labels;
    for (const [key, value] of Object.entries(pdbSpec.selector.matchLabels)) expect(podLabels[key]).toBe(value);
  });

  const kubectl = onPath("kubectl");
  if (!kubectl) console.warn("kubectl is not on PATH: skipping the `kubectl kustomize deploy/k8s` check");
  (kubectl ? it : it.skip)("render with kubectl kustomize (offline) into the same objects", () => {
    const result = spawnSync(kubectl!, ["kustomize", k8sDir], { encoding: "utf8", timeout: 20_000 });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    const rendered = parseAllDocuments(result.stdout).map((d) => d.toJS() as K8sObject);
    expect(rendered.map((o) => o.kind).sort()).toEqual(expectedKinds);
  });
});

describe("the Grafana dashboard (deploy/grafana/dashboards/tollgate.json)", () => {
  const dashboard = JSON.parse(read("grafana/dashboards/tollgate.json")) as Dashboard;
  const panels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
  const dataPanels = panels.filter((p) => p.type !== "row");
  const targets = dataPanels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title ?? String(p.id), ...t })));

  it("matches the dashboard JSON schema generated from @grafana/schema", () => {
    expectValid(join(schemas, "grafana-dashboard.json"), dashboard, "deploy/grafana/dashboards/tollgate.json");
  });

  it("has uid tollgate, schemaVersion 39 and a Prometheus ${datasource} variable that every panel and query uses", () => {
    expect(dashboard.uid).toBe("tollgate");
    expect(dashboard.schemaVersion).toBe(39);
    expect(dashboard.templating.list.filter((v) => v.name === "datasource")).toEqual([
      expect.objectContaining({ type: "datasource", query: "prometheus" }),
    ]);
    for (const panel of dataPanels) expect({ panel: panel.title, datasource: panel.datasource }).toEqual({ panel: panel.title, datasource: { type: "prometheus", uid: "${datasource}" } });
    for (const target of targets) expect(target.datasource).toEqual({ type: "prometheus", uid: "${datasource}" });
  });

  it("uses timeseries and stat panels laid out on the 24-column grid without overlaps, with unique ids", () => {
    expect(new Set(dataPanels.map((p) => p.type))).toEqual(new Set(["timeseries", "stat"]));
    expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
    const boxes = panels.map((p) => ({ title: p.title, ...p.gridPos! }));
    for (const box of boxes) {
      expect(box.h).toBeGreaterThan(0);
      expect(box.x + box.w).toBeLessThanOrEqual(24);
    }
    for (const [i, a] of boxes.entries()) {
      for (const b of boxes.slice(i + 1)) {
        const overlap = a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
        expect({ a: a.title, b: b.title, overlap }).toEqual({ a: a.title, b: b.title, overlap: false });
      }
    }
  });

  it("queries only metrics and labels Tollgate serves, and every one of them", () => {
    expect(targets.length).toBeGreaterThan(10);
    expect(targets.flatMap((t) => (t.expr ? metricProblems(t.expr, `panel "${t.panel}"`) : [`panel "${t.panel}": a target without expr`]))).toEqual([]);
    const used = new Set(targets.flatMap((t) => parsePromQL(t.expr ?? "").selectors.map((s) => familyOf(s.metric)?.name)));
    expect([...used].sort()).toEqual(Object.keys(METRICS).sort());
  });

  it("names series in legends only by labels the query keeps", () => {
    for (const target of targets) {
      const kept = parsePromQL(target.expr ?? "").grouping;
      for (const [, label] of (target.legendFormat ?? "").matchAll(/\{\{\s*(\w+)\s*\}\}/g)) {
        expect({ panel: target.panel, label, kept: kept.includes(label!) }).toEqual({ panel: target.panel, label, kept: true });
      }
    }
  });

  it("shows decisions by reason, latency quantiles by method, errors by code and money by model and currency", () => {
    const uses = (pattern: RegExp) => targets.some((t) => pattern.test((t.expr ?? "").replace(/\s+/g, " ")));
    expect(uses(/sum by \(decision, reason\) \(rate\(tollgate_authorization_decisions_total\[/)).toBe(true);
    expect(uses(/histogram_quantile\(0\.5, sum by \(le, rpc_method\) \(rate\(tollgate_rpc_duration_seconds_bucket\[/)).toBe(true);
    expect(uses(/histogram_quantile\(0\.99, sum by \(le, rpc_method\) \(rate\(tollgate_rpc_duration_seconds_bucket\[/)).toBe(true);
    expect(uses(/sum by \(rpc_code\) \(rate\(tollgate_rpc_duration_seconds_count\{rpc_code!="OK"\}/)).toBe(true);
    for (const money of ["charge", "cost", "margin"]) expect(uses(new RegExp(`sum by \\(model, currency\\) \\(rate\\(tollgate_rated_${money}_total\\[`))).toBe(true);
    expect(uses(/sum by \(status\) \(rate\(tollgate_ingest_events_total\[/)).toBe(true);
    expect(uses(/histogram_quantile\(0\.99, sum by \(le\) \(rate\(tollgate_wallet_write_batch_size_bucket\[/)).toBe(true);
    expect(uses(/by \([^)]*\bstate\b[^)]*\) \(tollgate_db_pool_connections\)/)).toBe(true);
  });
});

describe("the Prometheus files (deploy/prometheus)", () => {
  const rules = yaml<RuleFile>("prometheus/alerts.yml");
  const alerts = rules.groups.flatMap((g) => g.rules);
  const byName = (name: string) => {
    const found = alerts.find((a) => a.alert === name);
    if (!found) throw new Error(`alerts.yml has no alert ${name}`);
    return found;
  };

  it("alert on server errors, Authorize latency, deny spikes, scheduler lag, wallet conflicts and ingest rejections", () => {
    expect(alerts.map((a) => a.alert).sort()).toEqual(
      ["TollgateAuthorizeLatencyHigh", "TollgateDenySpike", "TollgateIngestRejectionsHigh", "TollgateRpcErrorRateHigh", "TollgateSchedulerLagging", "TollgateWalletWriteConflicts"].sort(),
    );
  });

  it("give every alert a for duration, a severity, a summary and a description", () => {
    for (const alert of alerts) {
      expect({ alert: alert.alert, for: typeof alert.for }).toEqual({ alert: alert.alert, for: "string" });
      expect(durationSeconds(alert.for!)).toBeGreaterThan(0);
      expect(["critical", "warning", "info"]).toContain(alert.labels?.["severity"]);
      expect(alert.annotations?.["summary"]).toBeTruthy();
      expect(alert.annotations?.["description"]).toBeTruthy();
    }
  });

  it("read only metrics and labels Tollgate serves, in the rules and in their unit tests", () => {
    expect(alerts.flatMap((a) => metricProblems(a.expr, `alert ${a.alert}`))).toEqual([]);
    const tests = yaml<{ rule_files: string[]; tests: { name: string; input_series: { series: string }[] }[] }>("prometheus/alerts.test.yml");
    expect(tests.rule_files).toEqual(["alerts.yml"]);
    expect(tests.tests.flatMap((t) => t.input_series.flatMap((s) => metricProblems(s.series, `test "${t.name}"`)))).toEqual([]);
  });

  it("use the thresholds and windows operators expect", () => {
    const flat = (name: string) => byName(name).expr.replace(/\s+/g, " ").trim();
    expect(flat("TollgateRpcErrorRateHigh")).toMatch(/rpc_code=~"Internal\|Unavailable\|DeadlineExceeded\|Unknown"/);
    expect(flat("TollgateRpcErrorRateHigh")).toMatch(/> 0\.01$/);
    expect(byName("TollgateRpcErrorRateHigh").for).toBe("5m");
    expect(flat("TollgateAuthorizeLatencyHigh")).toMatch(/histogram_quantile\(0\.99,.*rpc_method="Authorize".*\) > 0\.05$/);
    expect(byName("TollgateAuthorizeLatencyHigh").for).toBe("10m");
    expect(flat("TollgateDenySpike")).toMatch(/> 3 \* sum\(rate\(tollgate_authorization_decisions_total\{decision="DENY"\}\[1h\]\)\)/);
    expect(flat("TollgateDenySpike")).toMatch(/> 1$/);
    expect(flat("TollgateSchedulerLagging")).toBe("tollgate_scheduler_lag_seconds > 60");
    expect(byName("TollgateSchedulerLagging").for).toBe("5m");
    expect(flat("TollgateIngestRejectionsHigh")).toMatch(/status="REJECTED".*> 0\.05$/);
  });

  it("scrape Tollgate on port 9464 at /metrics and load alerts.yml", () => {
    const config = yaml<{ rule_files: string[]; scrape_configs: { job_name: string; metrics_path?: string; static_configs: { targets: string[] }[] }[] }>(
      "prometheus/prometheus.yml",
    );
    expect(config.rule_files).toEqual(["alerts.yml"]);
    const job = config.scrape_configs.find((c) => c.job_name === "tollgate");
    expect(job?.metrics_path ?? "/metrics").toBe("/metrics");
    const targetsList = job?.static_configs.flatMap((s) => s.targets) ?? [];
    expect(targetsList).toEqual([`tollgate:${METRICS_PORT}`]);
    expect(Object.keys(yaml<Compose>("compose.yaml").services)).toContain("tollgate");
  });

  const promtool = onPath("promtool");
  if (!promtool) console.warn("promtool is not on PATH: skipping `promtool check rules`, `promtool check config` and `promtool test rules` (Debian package `prometheus` installs /usr/bin/promtool)");
  const withPromtool = promtool ? it : it.skip;
  const run = (...args: string[]) => {
    const result = spawnSync(promtool!, args, { cwd: join(deploy, "prometheus"), encoding: "utf8", timeout: 20_000 });
    return { status: result.status, output: `${result.stdout}${result.stderr}` };
  };

  withPromtool("pass promtool check rules", () => {
    const result = run("check", "rules", "alerts.yml");
    expect(result).toEqual({ status: 0, output: expect.stringContaining("SUCCESS: 6 rules found") });
  });

  withPromtool("pass promtool check config", () => {
    const result = run("check", "config", "prometheus.yml");
    expect(result).toEqual({ status: 0, output: expect.stringContaining("is valid prometheus config file syntax") });
  });

  withPromtool("fire exactly as their unit tests say (promtool test rules)", () => {
    const result = run("test", "rules", "alerts.test.yml");
    expect(result).toEqual({ status: 0, output: expect.stringContaining("SUCCESS") });
  });
});

describe("the container health check (deploy/healthcheck.mjs)", () => {
  const script = join(deploy, "healthcheck.mjs");
  const definition = loadSync("grpc/health/v1/health.proto", { includeDirs: [join(root, "third_party", "proto")], keepCase: true, enums: String });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as { grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } } };
  const server = new grpc.Server();
  let status = "SERVING";
  let port = 0;

  beforeAll(async () => {
    server.addService(loaded.grpc.health.v1.Health.service, {
      Check: ((call, callback) => {
        if (call.request.service === "") callback(null, { status });
        else callback({ code: grpc.status.NOT_FOUND, details: "unknown service" });
      }) satisfies grpc.handleUnaryCall<{ service: string }, { status: string }>,
      Watch: ((call) => call.end()) satisfies grpc.handleServerStreamingCall<{ service: string }, { status: string }>,
    });
    port = await new Promise<number>((resolve, reject) =>
      server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
    );
  });
  afterAll(() => server.forceShutdown());

  function check(env: Record<string, string>, args: string[] = []): Promise<{ code: number | null; ms: number; output: string }> {
    const started = Date.now();
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [script, ...args], { cwd: root, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
      let output = "";
      child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
      child.on("exit", (code) => resolve({ code, ms: Date.now() - started, output }));
    });
  }

  async function unusedPort(): Promise<number> {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const address = probe.address();
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    if (address === null || typeof address === "string") throw new Error("no port");
    return address.port;
  }

  it("exits 0 when the gRPC health service answers SERVING", async () => {
    status = "SERVING";
    const result = await check({ TOLLGATE_GRPC_PORT: String(port) });
    expect(result).toEqual(expect.objectContaining({ code: 0, output: expect.stringContaining("SERVING") }));
  });

  it("exits 1 when the server answers NOT_SERVING, as it does while starting and draining", async () => {
    status = "NOT_SERVING";
    const result = await check({ TOLLGATE_GRPC_PORT: String(port) });
    expect(result).toEqual(expect.objectContaining({ code: 1, output: expect.stringContaining("NOT_SERVING") }));
    status = "SERVING";
  });

  it("exits 1 when the health service refuses the service name", async () => {
    const result = await check({ TOLLGATE_GRPC_PORT: String(port), TOLLGATE_HEALTHCHECK_SERVICE: "tollgate.v1.Nothing" });
    expect(result).toEqual(expect.objectContaining({ code: 1, output: expect.stringContaining("NOT_FOUND") }));
  });

  it("takes the port as an argument too", async () => {
    const result = await check({ TOLLGATE_GRPC_PORT: "1" }, [String(port)]);
    expect(result.code).toBe(0);
  });

  it("exits non-zero within 3 seconds when nothing listens on the port", async () => {
    const result = await check({ TOLLGATE_GRPC_PORT: String(await unusedPort()) });
    expect(result.code).not.toBe(0);
    expect(result.code).not.toBeNull();
    expect(result.ms).toBeLessThan(3000);
    expect(result.output).toMatch(/UNAVAILABLE/);
  });

  it("reads the vendored health.proto the image ships", () => {
    expect(readFileSync(script, "utf8")).toContain('"../third_party/proto"');
    expect(basename(dirname(script))).toBe("deploy");
  });
});
