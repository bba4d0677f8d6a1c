import type { Result } from "../../domain/result.js";
import type { AppError } from "../errors.js";

/**
 * Catalog writes race only with other writes of the same key. When one loses (its insert hit a
 * unique key), the whole load-decide-write step runs again against what the winner wrote, which
 * either turns the call into an idempotent retry or into a clear conflict. Three rounds is plenty:
 * each lost round means another writer made progress.
 */
const conflictRoundsMax = 3;

export async function withConflictRetry<T>(step: () => Promise<Result<T, AppError> | "conflict">): Promise<Result<T, AppError>> {
  for (let round = 1; ; round++) {
    const outcome = await step();
    if (outcome !== "conflict") return outcome;
    if (round >= conflictRoundsMax) {
      return { ok: false, error: { kind: "UNAVAILABLE", message: "the catalog is being changed concurrently; retry the call" } };
    }
  }
}
