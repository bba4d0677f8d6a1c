import { describe, expect, it } from "@jest/globals";
import { ConfigError, loadConfig } from "../../src/config.js";

describe("the ingestion bound in the configuration", () => {
  it("defaults to 2,000 events in progress and takes a whole number from the environment", () => {
    expect(loadConfig({}).ingestEventsInProgressMax).toBe(2_000);
    expect(loadConfig({ TOLLGATE_INGEST_EVENTS_IN_PROGRESS_MAX: "5000" }).ingestEventsInProgressMax).toBe(5_000);
  });

  it("refuses a bound that is not a whole number from 1 to 1,000,000, naming the variable", () => {
    expect(() => loadConfig({ TOLLGATE_INGEST_EVENTS_IN_PROGRESS_MAX: "0" })).toThrow(
      new ConfigError("TOLLGATE_INGEST_EVENTS_IN_PROGRESS_MAX: must be between 1 and 1000000, got 0"),
    );
    expect(() => loadConfig({ TOLLGATE_INGEST_EVENTS_IN_PROGRESS_MAX: "lots" })).toThrow('TOLLGATE_INGEST_EVENTS_IN_PROGRESS_MAX: must be a whole number, got "lots"');
  });
});
