import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import { HealthImplementation } from "grpc-health-check";
import { Health, HealthCheckResponse_ServingStatus as ServingStatus } from "../../gen/grpc/health/v1/health_pb.js";
import type { HealthCheckRequest } from "../../gen/grpc/health/v1/health_pb.js";

/**
 * One serving status for the whole process, reported identically on both ports: SERVING once
 * started, NOT_SERVING from the moment shutdown begins so load balancers stop sending calls
 * while in-flight ones finish. The empty service name means "the server as a whole"; each
 * Tollgate service is also answerable by its full name.
 */
export class HealthState {
  private serving = false;
  private readonly watchers = new Set<() => void>();
  /** grpc-js side: the standard implementation, kept in step with this state. */
  readonly grpc: HealthImplementation;

  constructor(private readonly services: readonly string[]) {
    this.grpc = new HealthImplementation(Object.fromEntries(["", ...services].map((s) => [s, "NOT_SERVING"])));
  }

  knows(service: string): boolean {
    return service === "" || this.services.includes(service);
  }

  isServing(): boolean {
    return this.serving;
  }

  setServing(serving: boolean): void {
    this.serving = serving;
    for (const service of ["", ...this.services]) this.grpc.setStatus(service, serving ? "SERVING" : "NOT_SERVING");
    for (const notify of this.watchers) notify();
  }

  /** Resolves on the next status change (or when `signal` aborts). */
  changed(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.watchers.delete(done);
        signal.removeEventListener("abort", done);
        resolve();
      };
      this.watchers.add(done);
      signal.addEventListener("abort", done, { once: true });
    });
  }
}

/** grpc.health.v1.Health for the Connect port (Connect JSON, gRPC-Web, gRPC over HTTP). */
export class HealthServiceImpl implements ServiceImpl<typeof Health> {
  constructor(private readonly state: HealthState) {}

  private statusOf(service: string): ServingStatus {
    if (!this.state.knows(service)) return ServingStatus.SERVICE_UNKNOWN;
    return this.state.isServing() ? ServingStatus.SERVING : ServingStatus.NOT_SERVING;
  }

  /** As the gRPC health spec says: an unknown service is a NOT_FOUND error, not a status. */
  check(request: HealthCheckRequest) {
    if (!this.state.knows(request.service)) throw new ConnectError(`unknown service "${request.service}"`, Code.NotFound);
    return { status: this.statusOf(request.service) };
  }

  async *watch(request: HealthCheckRequest, ctx: { signal: AbortSignal }) {
    let last: ServingStatus | undefined;
    while (!ctx.signal.aborted) {
      const status = this.statusOf(request.service);
      if (status !== last) {
        last = status;
        yield { status };
      }
      await this.state.changed(ctx.signal);
    }
  }
}
