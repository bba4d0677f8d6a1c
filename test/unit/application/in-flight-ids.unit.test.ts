import { describe, expect, it } from "@jest/globals";
import { InFlightIds } from "../../../src/application/rating/in-flight-ids.js";

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Starts an acquire and reports whether it has been granted yet. */
function acquiring(ids: InFlightIds, tenantId: string, eventIds: string[]) {
  const state = { granted: false, release: (): void => {} };
  const done = ids.acquire(tenantId, eventIds).then((release) => {
    state.granted = true;
    state.release = release;
  });
  return { state, done };
}

describe("event ids held by calls in progress", () => {
  it("makes a call that carries an id another call holds wait until that call releases it", async () => {
    const ids = new InFlightIds();
    const first = await ids.acquire("t1", ["e1", "e2"]);
    const second = acquiring(ids, "t1", ["e3", "e2"]);
    await turn();
    expect(second.state.granted).toBe(false);
    first();
    await second.done;
    expect(second.state.granted).toBe(true);
  });

  it("does not make calls wait on ids they do not share, nor on the same id of another tenant", async () => {
    const ids = new InFlightIds();
    await ids.acquire("t1", ["e1"]);
    const otherIds = acquiring(ids, "t1", ["e2"]);
    const otherTenant = acquiring(ids, "t2", ["e1"]);
    await turn();
    expect(otherIds.state.granted).toBe(true);
    expect(otherTenant.state.granted).toBe(true);
  });

  it("waits for every holder of its ids, and holds them itself once all have released", async () => {
    const ids = new InFlightIds();
    const a = await ids.acquire("t1", ["e1"]);
    const b = await ids.acquire("t1", ["e2"]);
    const c = acquiring(ids, "t1", ["e1", "e2"]);
    a();
    await turn();
    expect(c.state.granted).toBe(false);
    b();
    await c.done;
    const d = acquiring(ids, "t1", ["e2"]);
    await turn();
    expect(d.state.granted).toBe(false);
    c.state.release();
    await d.done;
    expect(d.state.granted).toBe(true);
  });

  it("forgets released ids: a later call with them is granted at once", async () => {
    const ids = new InFlightIds();
    (await ids.acquire("t1", ["e1"]))();
    const again = acquiring(ids, "t1", ["e1"]);
    await turn();
    expect(again.state.granted).toBe(true);
  });
});
