import type { DescService } from "@bufbuild/protobuf";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import { createServer as createHttp1Server, type Server as Http1Server } from "node:http";
import { createServer as createHttp2Server, type Http2Server, type Http2Session } from "node:http2";
import { createServer as createNetServer, type Server as NetServer, type Socket } from "node:net";
import { Duplex } from "node:stream";
import type { Logger } from "pino";
import { bindGrpcService } from "./grpc-binder.js";
import type { HealthState } from "./health.js";
import { applyPipeline, type CallPipeline } from "./pipeline.js";
import { addReflection } from "./reflection.js";

export type ServedService = { readonly service: DescService; readonly impl: object };

export type ServerOptions = {
  readonly host: string;
  readonly grpcPort: number;
  readonly httpPort: number;
  readonly requestBytesMax: number;
  readonly services: readonly ServedService[];
  readonly pipeline: Omit<CallPipeline, "streamsStop">;
  readonly health: HealthState;
  readonly logger: Logger;
};

export type RunningServers = {
  readonly grpcPort: number;
  readonly httpPort: number;
  /**
   * Graceful stop: health turns NOT_SERVING, no new calls are accepted, in-flight calls get
   * up to `graceMs` to finish, open streams are ended; then everything still open is closed.
   */
  shutdown(graceMs: number): Promise<void>;
};

/** How long open streams get to deliver the NOT_SERVING change before they are ended. */
const streamDrainNoticeMs = 200;

/** The first bytes an HTTP/2 client with prior knowledge sends (h2c). */
const http2Preface = Buffer.from("PRI * HTTP/2.0\r\n");

/**
 * The HTTP/2 server reads a socket through its native handle, which would miss bytes already
 * read to sniff the protocol; it also accepts any duplex stream, so give it one that replays
 * the first chunk and then relays the socket.
 */
function replaying(socket: Socket, first: Buffer): Duplex {
  const duplex = new Duplex({
    read() {
      socket.resume();
    },
    write(chunk: Buffer, _encoding, done) {
      socket.write(chunk, done);
    },
    final(done) {
      socket.end(done);
    },
    destroy(error, done) {
      socket.destroy(error ?? undefined);
      done(error);
    },
  });
  duplex.push(first);
  socket.on("data", (data: Buffer) => {
    if (!duplex.push(data)) socket.pause();
  });
  socket.on("end", () => duplex.push(null));
  socket.on("close", () => duplex.destroy());
  socket.on("error", (error) => duplex.destroy(error));
  return duplex;
}

/**
 * One cleartext port for HTTP/1.1 and HTTP/2: Node's cleartext HTTP/2 server cannot fall back to
 * HTTP/1.1, so each connection's first bytes decide which server gets it.
 */
function listenHttp(handler: ReturnType<typeof connectNodeAdapter>, host: string, port: number) {
  const h1: Http1Server = createHttp1Server(handler);
  const h2: Http2Server = createHttp2Server({}, handler);
  const sockets = new Set<Socket>();
  const sessions = new Set<Http2Session>();
  h2.on("session", (session: Http2Session) => {
    sessions.add(session);
    session.on("close", () => sessions.delete(session));
  });
  const net: NetServer = createNetServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.once("data", (chunk: Buffer) => {
      socket.pause();
      const isHttp2 = chunk.subarray(0, http2Preface.length).equals(http2Preface.subarray(0, Math.min(chunk.length, http2Preface.length)));
      if (isHttp2) {
        h2.emit("connection", replaying(socket, chunk));
      } else {
        socket.unshift(chunk);
        h1.emit("connection", socket);
        socket.resume();
      }
    });
  });
  return new Promise<{ port: number; close(graceMs: number): Promise<void> }>((resolve, reject) => {
    net.once("error", reject);
    net.listen(port, host, () => {
      const address = net.address();
      resolve({
        port: typeof address === "object" && address ? address.port : port,
        close: async (graceMs) => {
          const closed = new Promise<void>((done) => net.close(() => done()));
          h1.closeIdleConnections();
          for (const session of sessions) session.close();
          const deadline = setTimeout(() => {
            for (const socket of sockets) socket.destroy();
          }, graceMs);
          // HTTP/1.1 keep-alive connections close once their in-flight request completes.
          const poll = setInterval(() => h1.closeIdleConnections(), 50);
          await closed;
          clearTimeout(deadline);
          clearInterval(poll);
        },
      });
    });
  });
}

function listenGrpc(server: grpc.Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(`${host}:${port}`, grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound)));
  });
}

/** Starts the gRPC port (grpc-js) and the Connect/gRPC-Web/gRPC port (connect-node) over the same implementations. */
export async function startServers(options: ServerOptions): Promise<RunningServers> {
  const { pipeline, health, logger } = options;
  const shutdown = new AbortController();
  const wrapped = options.services.map(({ service, impl }) => ({
    service,
    impl: applyPipeline({ ...pipeline, streamsStop: shutdown.signal }, service, impl),
  }));

  const grpcServer = new grpc.Server({
    "grpc.max_receive_message_length": options.requestBytesMax,
    "grpc.max_send_message_length": 64 * 1024 * 1024,
  });
  for (const { service, impl } of wrapped) {
    // The grpc-js port answers health with the standard implementation instead.
    if (service.typeName !== "grpc.health.v1.Health") bindGrpcService(grpcServer, service, impl);
  }
  health.grpc.addToServer(grpcServer);
  addReflection(grpcServer);
  const grpcPort = await listenGrpc(grpcServer, options.host, options.grpcPort);

  const handler = connectNodeAdapter({
    routes: (router) => {
      for (const { service, impl } of wrapped) router.service(service, impl as never);
    },
    readMaxBytes: options.requestBytesMax,
  });
  let http: Awaited<ReturnType<typeof listenHttp>>;
  try {
    http = await listenHttp(handler, options.host, options.httpPort);
  } catch (error) {
    grpcServer.forceShutdown();
    throw error;
  }
  health.setServing(true);
  logger.info({ grpc_port: grpcPort, http_port: http.port }, "serving");

  return {
    grpcPort,
    httpPort: http.port,
    shutdown: async (graceMs) => {
      health.setServing(false);
      const grpcDone = new Promise<void>((resolve) => {
        const force = setTimeout(() => grpcServer.forceShutdown(), graceMs);
        grpcServer.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
      // Streams (WatchBalance, Health.Watch) never finish on their own: let health watchers see
      // NOT_SERVING first, then end them.
      await new Promise((resolve) => setTimeout(resolve, Math.min(streamDrainNoticeMs, graceMs)));
      shutdown.abort();
      await Promise.all([grpcDone, http.close(graceMs)]);
    },
  };
}
