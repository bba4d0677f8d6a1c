import { describe, expect, it } from "@jest/globals";
import { IngestionGate } from "../../../src/application/rating/ingestion-gate.js";

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Starts a call of `size` events at the gate and reports whether it has been let in yet. */
function entering(gate: IngestionGate, size: number, order?: number[], label?: number) {
  const state = { inside: false, leave: (): void => {} };
  const done = gate.enter(size).then((leave) => {
    state.inside = true;
    state.leave = leave;
    if (order && label !== undefined) order.push(label);
  });
  return { state, done };
}

describe("the ingestion gate", () => {
  it("lets two calls in whatever their size, and a third only once one leaves", async () => {
    const gate = new IngestionGate(2_000);
    const a = entering(gate, 10_000);
    const b = entering(gate, 10_000);
    const c = entering(gate, 1);
    await turn();
    expect([a.state.inside, b.state.inside, c.state.inside]).toEqual([true, true, false]);
    expect(gate.state).toEqual({ calls: 2, events: 20_000, waiting: 1 });
    a.state.leave();
    await c.done;
    expect(c.state.inside).toBe(true);
    expect(gate.state).toEqual({ calls: 2, events: 10_001, waiting: 0 });
  });

  it("lets many small calls in side by side while their events fit", async () => {
    const gate = new IngestionGate(2_000);
    const calls = Array.from({ length: 20 }, () => entering(gate, 100));
    const extra = entering(gate, 1);
    await turn();
    expect(calls.every((c) => c.state.inside)).toBe(true);
    expect(extra.state.inside).toBe(false);
    expect(gate.state).toEqual({ calls: 20, events: 2_000, waiting: 1 });
    calls[0]?.state.leave();
    await extra.done;
    expect(gate.state).toEqual({ calls: 20, events: 1_901, waiting: 0 });
  });

  it("lets calls in in the order they came: a small call does not overtake a waiting large one", async () => {
    const gate = new IngestionGate(2_000);
    const order: number[] = [];
    const a = entering(gate, 1_000, order, 1);
    const b = entering(gate, 1_000, order, 2);
    const large = entering(gate, 1_500, order, 3);
    const small = entering(gate, 10, order, 4);
    await turn();
    // 2,000 events in progress: neither fits, and the small one waits behind the large one.
    expect(order).toEqual([1, 2]);
    a.state.leave();
    await large.done;
    // 1,000 + 1,500 is over the bound, but only two calls are in: the large one is let in,
    // and the small one, 2,510 events, waits for the next turn.
    expect(order).toEqual([1, 2, 3]);
    expect(small.state.inside).toBe(false);
    b.state.leave();
    await small.done;
    expect(order).toEqual([1, 2, 3, 4]);
  });

  it("lets in every waiting call that fits when one leaves, and counts a second leave once", async () => {
    const gate = new IngestionGate(300, 1);
    const big = entering(gate, 300);
    const waiters = [entering(gate, 100), entering(gate, 100), entering(gate, 100), entering(gate, 100)];
    await turn();
    expect(gate.state).toEqual({ calls: 1, events: 300, waiting: 4 });
    big.state.leave();
    big.state.leave();
    await turn();
    expect(waiters.map((w) => w.state.inside)).toEqual([true, true, true, false]);
    expect(gate.state).toEqual({ calls: 3, events: 300, waiting: 1 });
  });

  it("refuses a bound that is not a positive integer", () => {
    expect(() => new IngestionGate(0)).toThrow("eventsMax must be a positive integer, got 0");
    expect(() => new IngestionGate(1.5)).toThrow("eventsMax");
    expect(() => new IngestionGate(10, 0)).toThrow("callsAlwaysAdmitted must be a positive integer, got 0");
  });
});
