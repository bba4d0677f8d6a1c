import js from "@eslint/js";
import globals from "globals";
import tseslint from "typescript-eslint";
import layerBoundaries from "./eslint-rules/layer-boundaries.js";

export default tseslint.config(
  { ignores: ["dist/**", "src/gen/**", "node_modules/**", "data/**", "coverage/**", ".scratch/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts", "**/*.js", "**/*.mjs"],
    languageOptions: { globals: { ...globals.node } },
    plugins: { tollgate: { rules: { "layer-boundaries": layerBoundaries } } },
    rules: {
      "tollgate/layer-boundaries": "error",
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "no-restricted-syntax": [
        "error",
        { selector: "CallExpression[callee.name='eval']", message: "never eval" },
        { selector: "NewExpression[callee.name='Function']", message: "never new Function" },
      ],
    },
  },
  {
    files: ["src/domain/**/*.ts", "src/application/**/*.ts"],
    rules: {
      "no-restricted-globals": ["error", { name: "parseFloat", message: "no floats on the money path" }],
      "no-restricted-syntax": [
        "error",
        { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: "time comes from a Clock or the command, never the system clock" },
        { selector: "CallExpression[callee.name='eval']", message: "never eval" },
        { selector: "NewExpression[callee.name='Function']", message: "never new Function" },
      ],
      "no-restricted-properties": [
        "error",
        { object: "Math", property: "random", message: "randomness comes from the Ids port" },
        { object: "Date", property: "now", message: "time comes from a Clock" },
      ],
    },
  },
);
