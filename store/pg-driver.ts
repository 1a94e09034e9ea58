import pg from "pg";
import { redactUrl } from "./errors.js";
import type { RawRow } from "./rows.js";
import { type SqlDriver, type SqlParams, type SqlQueries, toNumberedPlaceholders } from "./sql-driver.js";

/** Connections per store: enough for a runner's concurrent stages, log appends and API reads. */
const POOL_MAX = 10;

/**
 * PostgreSQL through a `pg.Pool`. Each statement takes any pooled connection; a transaction
 * holds one connection from BEGIN to COMMIT. Runners share the database, so everything that
 * must be exclusive uses row locks (run counter, log size), SKIP LOCKED (claims) or an
 * advisory lock (migrations); none of it relies on process-local state.
 */
export class PgDriver implements SqlDriver {
  readonly engine = "postgres" as const;
  readonly location: string;
  // SKIP LOCKED: a runner passes over a run another runner is claiming instead of waiting for
  // it and then finding it already taken.
  readonly claimSql = `UPDATE runs SET status = 'running', owner = ?, started_at = COALESCE(started_at, ?)
    WHERE id = (SELECT id FROM runs WHERE status = 'queued' ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
      AND status = 'queued'
    RETURNING *`;
  readonly #pool: pg.Pool;
  readonly #sql = new Map<string, string>();

  constructor(url: string) {
    this.location = redactUrl(url);
    this.#pool = new pg.Pool({ connectionString: url, max: POOL_MAX });
    // An idle connection dropped by the server emits 'error' on the pool; unhandled, that would
    // crash the runner. The next query reports the outage with a real error instead.
    this.#pool.on("error", () => {});
  }

  #text(sql: string): string {
    let text = this.#sql.get(sql);
    if (text === undefined) {
      text = toNumberedPlaceholders(sql);
      this.#sql.set(sql, text);
    }
    return text;
  }

  #queries(client: pg.Pool | pg.PoolClient): SqlQueries {
    return {
      all: async (sql, params) => (await client.query(this.#text(sql), bind(params))).rows as RawRow[],
      get: async (sql, params) => (await client.query(this.#text(sql), bind(params))).rows[0] as RawRow | undefined,
      run: async (sql, params) => (await client.query(this.#text(sql), bind(params))).rowCount ?? 0,
      exec: async (sql) => {
        // No parameters: the simple query protocol, which accepts several statements.
        await client.query(sql);
      },
    };
  }

  all(sql: string, params?: SqlParams): Promise<RawRow[]> {
    return this.#queries(this.#pool).all(sql, params);
  }

  get(sql: string, params?: SqlParams): Promise<RawRow | undefined> {
    return this.#queries(this.#pool).get(sql, params);
  }

  run(sql: string, params?: SqlParams): Promise<number> {
    return this.#queries(this.#pool).run(sql, params);
  }

  exec(sql: string): Promise<void> {
    return this.#queries(this.#pool).exec(sql);
  }

  async transaction<T>(fn: (q: SqlQueries) => Promise<T>): Promise<T> {
    const client = await this.#pool.connect();
    let broken = false;
    try {
      await client.query("BEGIN");
      const result = await fn(this.#queries(client));
      await client.query("COMMIT");
      return result;
    } catch (err) {
      await client.query("ROLLBACK").catch(() => {
        broken = true;
      });
      throw err;
    } finally {
      // A connection whose ROLLBACK failed may still be inside the transaction: discard it.
      client.release(broken);
    }
  }

  /**
   * A session advisory lock keyed by the schema, held on a dedicated connection while `fn`
   * migrates over other pooled connections: runners starting together migrate one at a time,
   * and the later ones find nothing left to do.
   */
  withoutForeignKeys<T>(fn: () => Promise<T>): Promise<T> {
    return fn();
  }

  async withMigrationLock<T>(fn: () => Promise<T>): Promise<T> {
    const client = await this.#pool.connect();
    const key = "SELECT hashtext('slipway.migrate.' || current_schema()) AS key";
    try {
      const { rows } = await client.query(key);
      await client.query("SELECT pg_advisory_lock($1)", [rows[0].key]);
      try {
        return await fn();
      } finally {
        await client.query("SELECT pg_advisory_unlock($1)", [rows[0].key]);
      }
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }
}

function bind(params: SqlParams | undefined): unknown[] {
  return (params ?? []).map((p) => (p === undefined ? null : p));
}
