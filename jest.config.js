/** Jest runs TypeScript as native ES modules, transpiled by SWC (no type checking here: `npm run typecheck` does that). */
export default {
  testEnvironment: "node",
  extensionsToTreatAsEsm: [".ts"],
  transform: {
    "^.+\\.ts$": [
      "@swc/jest",
      { jsc: { parser: { syntax: "typescript" }, target: "es2022" }, module: { type: "es6" } },
    ],
  },
  moduleNameMapper: { "^(\\.{1,2}/.*)\\.js$": "$1" },
  testMatch: ["<rootDir>/test/**/*.test.ts"],
  globalSetup: "<rootDir>/test/support/global-setup.ts",
  testTimeout: 30000,
  // Most suites wait on servers and Postgres rather than compute: two workers on two cores
  // keep the whole run within a few minutes.
  maxWorkers: 2,
};
