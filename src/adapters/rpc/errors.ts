import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import type { AppError } from "../../application/errors.js";
import { assertNever } from "../../domain/assert.js";
import type { Result } from "../../domain/result.js";
import { BadRequestSchema, BadRequest_FieldViolationSchema } from "../../gen/google/rpc/error_details_pb.js";

/**
 * The one place where use-case refusals become transport status codes. Messages are written
 * for the caller; INVALID_ARGUMENT names the field path first and also carries a
 * google.rpc.BadRequest detail listing every violation.
 */
export function toConnectError(error: AppError): ConnectError {
  switch (error.kind) {
    case "INVALID_ARGUMENT": {
      const message = error.violations.map((v) => `${v.field}: ${v.description}`).join("; ");
      const detail = create(BadRequestSchema, {
        fieldViolations: error.violations.map((v) => create(BadRequest_FieldViolationSchema, { field: v.field, description: v.description })),
      });
      return new ConnectError(message, Code.InvalidArgument, undefined, [{ desc: BadRequestSchema, value: detail }]);
    }
    case "NOT_FOUND":
      return new ConnectError(`${error.resource} "${error.id}" not found`, Code.NotFound);
    case "ALREADY_EXISTS":
      return new ConnectError(error.detail, Code.AlreadyExists);
    case "FAILED_PRECONDITION":
      return new ConnectError(error.message, Code.FailedPrecondition);
    case "UNAUTHENTICATED":
      return new ConnectError(error.message, Code.Unauthenticated);
    case "PERMISSION_DENIED":
      return new ConnectError(error.message, Code.PermissionDenied);
    case "UNAVAILABLE":
      return new ConnectError(error.message, Code.Unavailable);
    default:
      return assertNever(error, "application error");
  }
}

/** Returns the value of a successful use case or throws the mapped ConnectError. */
export function unwrap<T>(result: Result<T, AppError>): T {
  if (result.ok) return result.value;
  throw toConnectError(result.error);
}
