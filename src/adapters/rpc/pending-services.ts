import type { ServiceImpl } from "@connectrpc/connect";
import type { AuthorizationService } from "../../gen/tollgate/v1/authorization_pb.js";
import { unimplemented } from "./errors.js";

/*
 * The contract is complete in proto/, but these capabilities are not in this release. Each
 * method answers UNIMPLEMENTED naming what is missing, after authentication like any call, so
 * clients can be written against the whole API today.
 */

const authorization = "real-time authorization (AuthorizationService: reserve, commit, extend and release)";

export class AuthorizationServicePending implements ServiceImpl<typeof AuthorizationService> {
  authorize(): never {
    throw unimplemented(authorization);
  }
  commit(): never {
    throw unimplemented(authorization);
  }
  extend(): never {
    throw unimplemented(authorization);
  }
  release(): never {
    throw unimplemented(authorization);
  }
}
