import { SpanKind, SpanStatusCode, trace, type Tracer } from "@opentelemetry/api";
import type {
  CompiledQuery,
  DatabaseConnection,
  DatabaseIntrospector,
  Dialect,
  DialectAdapter,
  Driver,
  Kysely,
  QueryCompiler,
  QueryResult,
  TransactionSettings,
} from "kysely";

/**
 * Wraps any Kysely dialect so every statement made inside traced work runs in its own client
 * span (child of the active span: the use case's), on embedded and server Postgres alike. Parameters are never
 * recorded: they can carry customer data.
 */
export class TracedDialect implements Dialect {
  constructor(
    private readonly inner: Dialect,
    private readonly system: "postgresql",
    private readonly dbName: string,
  ) {}
  createAdapter(): DialectAdapter {
    return this.inner.createAdapter();
  }
  createDriver(): Driver {
    return new TracedDriver(this.inner.createDriver(), trace.getTracer("tollgate.db"), this.system, this.dbName);
  }
  createQueryCompiler(): QueryCompiler {
    return this.inner.createQueryCompiler();
  }
  createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    return this.inner.createIntrospector(db);
  }
}

const tracedConnections = new WeakMap<DatabaseConnection, DatabaseConnection>();

class TracedDriver implements Driver {
  constructor(
    private readonly inner: Driver,
    private readonly tracer: Tracer,
    private readonly system: string,
    private readonly dbName: string,
  ) {}

  init(): Promise<void> {
    return this.inner.init();
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const connection = await this.inner.acquireConnection();
    let traced = tracedConnections.get(connection);
    if (!traced) {
      traced = this.wrap(connection);
      tracedConnections.set(connection, traced);
    }
    return traced;
  }

  private wrap(connection: DatabaseConnection): DatabaseConnection {
    const { tracer, system, dbName } = this;
    const wrapped: DatabaseConnection & { inner: DatabaseConnection } = {
      inner: connection,
      executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
        // Statements outside any traced work (background ticks, migrations) would each start a
        // trace of their own: noise. They run untraced.
        if (!trace.getActiveSpan()) return connection.executeQuery<R>(query);
        const operation = query.sql.trimStart().split(/\s/, 1)[0]?.toUpperCase() ?? "QUERY";
        return tracer.startActiveSpan(
          `db ${operation}`,
          { kind: SpanKind.CLIENT, attributes: { "db.system": system, "db.namespace": dbName, "db.query.text": query.sql } },
          async (span) => {
            try {
              return await connection.executeQuery<R>(query);
            } catch (error) {
              span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
              throw error;
            } finally {
              span.end();
            }
          },
        );
      },
      streamQuery<R>(query: CompiledQuery, chunkSize: number): AsyncIterableIterator<QueryResult<R>> {
        return connection.streamQuery<R>(query, chunkSize);
      },
    };
    return wrapped;
  }

  private unwrap(connection: DatabaseConnection): DatabaseConnection {
    return (connection as DatabaseConnection & { inner?: DatabaseConnection }).inner ?? connection;
  }

  beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    return this.inner.beginTransaction(this.unwrap(connection), settings);
  }
  commitTransaction(connection: DatabaseConnection): Promise<void> {
    return this.inner.commitTransaction(this.unwrap(connection));
  }
  rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    return this.inner.rollbackTransaction(this.unwrap(connection));
  }
  releaseConnection(connection: DatabaseConnection): Promise<void> {
    return this.inner.releaseConnection(this.unwrap(connection));
  }
  destroy(): Promise<void> {
    return this.inner.destroy();
  }
}
