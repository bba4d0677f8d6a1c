import { toBinary, type DescFile } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import type { PackageDefinition } from "@grpc/proto-loader";
import { ReflectionService } from "@grpc/reflection";
import type * as grpc from "@grpc/grpc-js";
import { file_grpc_health_v1_health } from "../../gen/grpc/health/v1/health_pb.js";
import { file_tollgate_v1_authorization } from "../../gen/tollgate/v1/authorization_pb.js";
import { file_tollgate_v1_catalog } from "../../gen/tollgate/v1/catalog_pb.js";
import { file_tollgate_v1_rating } from "../../gen/tollgate/v1/rating_pb.js";
import { file_tollgate_v1_wallet } from "../../gen/tollgate/v1/wallet_pb.js";

/** Every file of the contract and what it imports (well-known types included), each once. */
function withDependencies(roots: readonly DescFile[]): DescFile[] {
  const seen = new Map<string, DescFile>();
  const visit = (f: DescFile) => {
    if (seen.has(f.name)) return;
    seen.set(f.name, f);
    for (const d of f.dependencies) visit(d);
  };
  for (const f of roots) visit(f);
  return [...seen.values()];
}

/**
 * gRPC server reflection (v1 and v1alpha) so grpcurl and `buf curl` work without local protos.
 * The descriptors are the ones the server was generated from (the real .proto files with their
 * imports, well-known types included): proto-loader's own, merged per package, let clients list
 * the services but not resolve their methods.
 */
export function addReflection(server: grpc.Server): void {
  const files = withDependencies([file_tollgate_v1_catalog, file_tollgate_v1_rating, file_tollgate_v1_wallet, file_tollgate_v1_authorization, file_grpc_health_v1_health]);
  const definition = { descriptors: { fileDescriptorProtos: files.map((f) => Buffer.from(toBinary(FileDescriptorProtoSchema, f.proto))) } } as unknown as PackageDefinition;
  new ReflectionService(definition).addToServer(server);
}
