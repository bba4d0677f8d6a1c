/** Thrown only for broken invariants: a bug in Tollgate, never a user's bad input. */
export class AssertionFailed extends Error {
  override readonly name = "AssertionFailed";
}

/** Checks an invariant the code relies on; a failure is a bug, so it throws. */
export function assert(condition: unknown, why: string): asserts condition {
  if (!condition) throw new AssertionFailed(why);
}

/** Exhaustiveness check for switches over closed unions. */
export function assertNever(value: never, what: string): never {
  throw new AssertionFailed(`unexpected ${what}: ${JSON.stringify(value)}`);
}
