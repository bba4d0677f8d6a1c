import { describe, expect, it } from "@jest/globals";
import { parseReservationId, reservationIdFor } from "../../../../src/domain/authorization/reservation-id.js";

describe("reservation ids", () => {
  it.each([
    ["acme", "auth-1"],
    ["cus_9f8e7d", "req/with+odd=chars?"],
    ["café", "日本語-🎉"],
  ])("name their customer and request, and read back exactly (%s, %s)", (customerId, requestId) => {
    const id = reservationIdFor(customerId, requestId);
    expect(id.split(".")).toHaveLength(3);
    expect(id).toMatch(/^rsv\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(parseReservationId(id)).toEqual({ customerId, requestId });
  });

  it("refuses text Tollgate did not issue", () => {
    const id = reservationIdFor("acme", "auth-1");
    expect(parseReservationId(`${id}=`)).toBeUndefined(); // padding: not the canonical form
    expect(parseReservationId(id.replace("rsv.", "res."))).toBeUndefined();
    expect(parseReservationId(`${id}.extra`)).toBeUndefined();
    expect(parseReservationId("rsv.YWNtZQ")).toBeUndefined();
    expect(parseReservationId("rsv.YW Nt.YQ")).toBeUndefined();
    // Bytes that are not UTF-8 (0xff) do not decode to an id.
    expect(parseReservationId(`rsv.${btoa("\xff").replace(/=+$/, "")}.YQ`)).toBeUndefined();
  });
});
