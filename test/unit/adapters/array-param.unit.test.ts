import { describe, expect, it } from "@jest/globals";
import { plainArray } from "../../../src/adapters/postgres/array-param.js";

describe("Postgres array literals", () => {
  it("writes plain elements as they are, and null as NULL", () => {
    expect(plainArray(["0.0000025", "1200", null, "2026-12-03T10:00:00.000Z"])).toBe("{0.0000025,1200,NULL,2026-12-03T10:00:00.000Z}");
    expect(plainArray([1, 2, 30])).toBe("{1,2,30}");
    expect(plainArray([])).toBe("{}");
  });
});
