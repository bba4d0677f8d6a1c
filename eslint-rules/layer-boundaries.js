// Enforces the dependency rule of the architecture:
//   src/domain       imports nothing outside src/domain (no packages, no node: modules);
//   src/application  imports only src/domain and src/application (its ports included);
//   src/adapters     may import application and domain, never src/container.ts or src/main.ts.
import path from "node:path";

const layerOf = (file) => {
  const normalized = file.split(path.sep).join("/");
  const match = /\/src\/(domain|application|adapters)\//.exec(normalized);
  return match ? match[1] : undefined;
};

const allowed = {
  domain: (target) => target === "domain",
  application: (target) => target === "domain" || target === "application",
  adapters: (target) => target !== "root",
};

/** @type {import("eslint").Rule.RuleModule} */
export default {
  meta: {
    type: "problem",
    docs: { description: "keep domain pure and application free of adapters" },
    messages: {
      packageInDomain: "src/domain must not import '{{source}}': domain code is pure (no packages, no I/O). Pass what you need in.",
      crossLayer: "src/{{from}} must not import src/{{to}} ('{{source}}'): see the dependency rule in ARCHITECTURE.md.",
    },
    schema: [],
  },
  create(context) {
    const file = context.filename;
    const from = layerOf(file);
    if (!from) return {};
    const check = (node) => {
      const source = node.source && node.source.value;
      if (typeof source !== "string") return;
      if (!source.startsWith(".")) {
        if (from === "domain") context.report({ node, messageId: "packageInDomain", data: { source } });
        // Type-only imports of packages are fine in application (e.g. none today); values are not.
        if (from === "application" && node.importKind !== "type") context.report({ node, messageId: "packageInDomain", data: { source } });
        return;
      }
      const resolved = path.resolve(path.dirname(file), source).split(path.sep).join("/");
      const srcIndex = resolved.lastIndexOf("/src/");
      if (srcIndex < 0) {
        context.report({ node, messageId: "crossLayer", data: { from, to: "../", source } });
        return;
      }
      const rest = resolved.slice(srcIndex + 5);
      const to = /^(domain|application|adapters|gen)\//.exec(rest)?.[1] ?? "root";
      const ok = from === "adapters" ? to !== "root" : allowed[from](to);
      if (!ok) context.report({ node, messageId: "crossLayer", data: { from, to, source } });
    };
    return { ImportDeclaration: check, ExportNamedDeclaration: check, ExportAllDeclaration: check, ImportExpression: (node) => check({ ...node, source: node.source }) };
  },
};
