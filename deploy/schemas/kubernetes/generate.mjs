#!/usr/bin/env node
// Regenerates the strict, self-contained Kubernetes JSON schemas in this folder from the
// Kubernetes OpenAPI document, the way openapi2jsonschema builds kubernetes-json-schema's
// "-strict" flavour:
//   - one file per kind, named <kind>-<group>-<version>.json like kubernetes-json-schema;
//   - every definition the kind needs is copied into the file's `definitions`, so the file has
//     no reference to anything outside itself;
//   - every object with declared properties gets `additionalProperties: false` (strict: an
//     unknown or misspelt field is an error, as `kubectl apply --validate=strict` treats it);
//   - `apiVersion` and `kind` are required and pinned to the kind's group, version and kind;
//   - int-or-string fields accept an integer or a string, quantities a number or a string;
//   - descriptions, formats and x-kubernetes-* extensions are dropped: they do not validate.
//
// Usage (see README.md in the folder above for where the input comes from):
//   node deploy/schemas/kubernetes/generate.mjs path/to/kubernetes.io.json
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The kinds deploy/k8s uses, by apiVersion and kind. */
const kinds = [
  ["v1", "Namespace"],
  ["v1", "ConfigMap"],
  ["v1", "Secret"],
  ["v1", "Service"],
  ["batch/v1", "Job"],
  ["apps/v1", "Deployment"],
  ["autoscaling/v2", "HorizontalPodAutoscaler"],
  ["policy/v1", "PodDisruptionBudget"],
];
const version = "v1.27";

const input = process.argv[2];
if (!input) {
  process.stderr.write("usage: node deploy/schemas/kubernetes/generate.mjs path/to/kubernetes.io.json\n");
  process.exit(2);
}
const document = JSON.parse(readFileSync(input, "utf8"));
const source = document.components?.schemas ?? document.definitions;
if (!source) throw new Error(`${input}: neither components.schemas (OpenAPI 3) nor definitions (Swagger 2)`);
const refPrefix = document.components ? "#/components/schemas/" : "#/definitions/";

const special = {
  "io.k8s.apimachinery.pkg.util.intstr.IntOrString": { oneOf: [{ type: "string" }, { type: "integer" }] },
  "io.k8s.apimachinery.pkg.api.resource.Quantity": { oneOf: [{ type: "string" }, { type: "number" }] },
};

function refName(ref) {
  if (!ref.startsWith(refPrefix)) throw new Error(`unexpected $ref ${ref}`);
  return ref.slice(refPrefix.length);
}

/** A definition converted to a strict draft-07 schema, collecting the names it refers to. */
function convert(schema, needs) {
  if (Array.isArray(schema)) return schema.map((item) => convert(item, needs));
  if (schema === null || typeof schema !== "object") return schema;
  if (typeof schema.$ref === "string") {
    const name = refName(schema.$ref);
    needs.add(name);
    return { $ref: `#/definitions/${name}` };
  }
  if (schema.format === "int-or-string") return special["io.k8s.apimachinery.pkg.util.intstr.IntOrString"];
  const out = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === "description" || key === "format" || key.startsWith("x-")) continue;
    if (key === "properties") {
      out.properties = Object.fromEntries(Object.entries(value).map(([name, property]) => [name, convert(property, needs)]));
    } else if (key === "items" || key === "additionalProperties" || key === "allOf" || key === "oneOf" || key === "anyOf") {
      out[key] = convert(value, needs);
    } else if (key === "type" || key === "required" || key === "enum") {
      out[key] = value;
    } else {
      throw new Error(`unexpected keyword ${key}`);
    }
  }
  if (out.properties && out.additionalProperties === undefined) out.additionalProperties = false;
  return out;
}

function definitionFor(apiVersion, kind) {
  const [group, ver] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  const matches = Object.entries(source).filter(([, schema]) =>
    (schema["x-kubernetes-group-version-kind"] ?? []).some((gvk) => gvk.group === group && gvk.version === ver && gvk.kind === kind),
  );
  if (matches.length !== 1) throw new Error(`${apiVersion} ${kind}: ${matches.length} definitions`);
  return matches[0][0];
}

const outDir = join(dirname(fileURLToPath(import.meta.url)), `${version}-strict`);
mkdirSync(outDir, { recursive: true });
for (const [apiVersion, kind] of kinds) {
  const root = definitionFor(apiVersion, kind);
  const definitions = {};
  const pending = new Set();
  const top = convert(source[root], pending);
  top.properties.apiVersion = { type: "string", enum: [apiVersion] };
  top.properties.kind = { type: "string", enum: [kind] };
  top.required = [...new Set(["apiVersion", "kind", ...(top.required ?? [])])];
  while (pending.size > 0) {
    const [name] = pending;
    pending.delete(name);
    if (definitions[name]) continue;
    if (!source[name]) throw new Error(`missing definition ${name}`);
    definitions[name] = special[name] ?? convert(source[name], pending);
  }
  const sorted = Object.fromEntries(Object.keys(definitions).sort().map((name) => [name, definitions[name]]));
  const group = apiVersion.includes("/") ? apiVersion.split("/")[0].split(".")[0] : "";
  const file = [kind.toLowerCase(), group, apiVersion.split("/").at(-1)].filter(Boolean).join("-") + ".json";
  const schema = {
    $schema: "http://json-schema.org/draft-07/schema#",
    $comment: `${apiVersion} ${kind} (${root}), Kubernetes ${version} OpenAPI, strict; generated by deploy/schemas/kubernetes/generate.mjs`,
    ...top,
    definitions: sorted,
  };
  writeFileSync(join(outDir, file), JSON.stringify(schema, null, 1) + "\n");
  process.stdout.write(`${file}: ${root}, ${Object.keys(sorted).length} definitions\n`);
}
