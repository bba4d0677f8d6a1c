import { loadSync } from "@grpc/proto-loader";
import { ReflectionService } from "@grpc/reflection";
import type * as grpc from "@grpc/grpc-js";
import { join } from "node:path";
import { projectRoot } from "./project-files.js";

/** The contract files, read at runtime: reflection describes exactly what proto/ says. */
const contractFiles = ["tollgate/v1/catalog.proto", "tollgate/v1/rating.proto", "tollgate/v1/wallet.proto", "tollgate/v1/authorization.proto"];

/** gRPC server reflection (v1 and v1alpha) so grpcurl and `buf curl` work without local protos. */
export function addReflection(server: grpc.Server): void {
  const root = projectRoot();
  const definition = loadSync(
    [...contractFiles, "grpc/health/v1/health.proto"],
    { includeDirs: [join(root, "proto"), join(root, "third_party", "proto")], keepCase: true, longs: String, enums: String, defaults: true, oneofs: true },
  );
  new ReflectionService(definition).addToServer(server);
}
