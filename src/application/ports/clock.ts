import { token } from "./token.js";

/** The only source of "now" for use cases; tests pass a fixed or stepping clock. */
export interface Clock {
  now(): Date;
}
export const Clock = token<Clock>("Clock");
