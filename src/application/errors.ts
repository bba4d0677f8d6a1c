import type { FieldViolation } from "../domain/catalog/field-error.js";
import { err } from "../domain/result.js";

/**
 * Every way a use case can refuse a request. Transport adapters map each kind to a status code
 * in one place (adapters/rpc/errors.ts); nothing here knows about gRPC or HTTP.
 */
export type AppError =
  | { readonly kind: "INVALID_ARGUMENT"; readonly violations: readonly FieldViolation[] }
  | { readonly kind: "NOT_FOUND"; readonly resource: string; readonly id: string }
  | { readonly kind: "ALREADY_EXISTS"; readonly resource: string; readonly id: string; readonly detail: string }
  | { readonly kind: "FAILED_PRECONDITION"; readonly message: string }
  | { readonly kind: "UNAUTHENTICATED"; readonly message: string }
  | { readonly kind: "PERMISSION_DENIED"; readonly message: string }
  | { readonly kind: "UNAVAILABLE"; readonly message: string };

export const invalid = (violation: FieldViolation) => err<AppError>({ kind: "INVALID_ARGUMENT", violations: [violation] });
export const notFound = (resource: string, id: string) => err<AppError>({ kind: "NOT_FOUND", resource, id });
export const alreadyExists = (resource: string, id: string, detail: string) => err<AppError>({ kind: "ALREADY_EXISTS", resource, id, detail });
export const failedPrecondition = (message: string) => err<AppError>({ kind: "FAILED_PRECONDITION", message });
