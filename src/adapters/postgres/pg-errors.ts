/** True when a statement failed on a unique or primary key: someone else wrote that key first. */
export function isUniqueViolation(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === "23505";
}

/** The constraint a unique violation hit ("" when the driver did not say), or undefined for any other error. */
export function uniqueViolationOf(error: unknown): string | undefined {
  if (!isUniqueViolation(error)) return undefined;
  const constraint = (error as { constraint?: unknown }).constraint;
  return typeof constraint === "string" ? constraint : "";
}
