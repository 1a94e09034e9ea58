import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import Database from "better-sqlite3";
import { StoreError } from "./errors.js";
import type { RawRow } from "./rows.js";
import type { SqlDriver, SqlParams, SqlQueries } from "./sql-driver.js";

/** Tail of the queue of calls on each database file (by resolved path) in this process. */
const queues = new Map<string, Promise<void>>();

/** How long a writer waits for another process's write lock before SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 10_000;

/**
 * SQLite through better-sqlite3. Its API is synchronous, so each call runs to completion
 * before the promise it returns resolves. A transaction body is async, though, and other calls
 * could slip in between its awaits: on this connection they would land inside the transaction,
 * and on another connection to the same file in this process they would block the only thread
 * in busy_timeout while the lock holder cannot proceed. So every call on a file waits its turn
 * in one promise-chain queue per file, shared by all drivers of this process. Across
 * processes, BEGIN IMMEDIATE and busy_timeout queue writers on SQLite's file lock, and WAL lets
 * readers run meanwhile.
 */
export class SqliteDriver implements SqlDriver {
  readonly engine = "sqlite" as const;
  readonly location: string;
  readonly claimSql = `UPDATE runs SET status = 'running', owner = ?, started_at = COALESCE(started_at, ?)
    WHERE id = (SELECT id FROM runs WHERE status = 'queued' ORDER BY id LIMIT 1) AND status = 'queued'
    RETURNING *`;
  readonly #db: Database.Database;
  readonly #statements = new Map<string, Database.Statement>();

  constructor(file: string) {
    this.location = resolve(file);
    try {
      mkdirSync(dirname(this.location), { recursive: true });
      this.#db = new Database(this.location, { timeout: BUSY_TIMEOUT_MS });
      this.#db.pragma("journal_mode = WAL");
      // NORMAL is durable in WAL mode except for the last transactions on power loss, and
      // avoids an fsync per log append.
      this.#db.pragma("synchronous = NORMAL");
      this.#db.pragma("foreign_keys = ON");
    } catch (err) {
      throw new StoreError(
        "SLIPWAY_E_STORE_UNREACHABLE",
        `cannot open SQLite database ${file}: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
  }

  #statement(sql: string): Database.Statement {
    let stmt = this.#statements.get(sql);
    if (!stmt) {
      stmt = this.#db.prepare(sql);
      this.#statements.set(sql, stmt);
    }
    return stmt;
  }

  /** Runs `fn` after everything queued before it; a failure does not block later calls. */
  #serial<T>(fn: () => T | Promise<T>): Promise<T> {
    const result = (queues.get(this.location) ?? Promise.resolve()).then(fn);
    queues.set(
      this.location,
      result.then(
        () => {},
        () => {},
      ),
    );
    return result;
  }

  #queries(): SqlQueries {
    return {
      all: async (sql, params) => this.#statement(sql).all(...bind(params)) as RawRow[],
      get: async (sql, params) => this.#statement(sql).get(...bind(params)) as RawRow | undefined,
      run: async (sql, params) => this.#statement(sql).run(...bind(params)).changes,
      exec: async (sql) => {
        this.#db.exec(sql);
      },
    };
  }

  all(sql: string, params?: SqlParams): Promise<RawRow[]> {
    return this.#serial(() => this.#queries().all(sql, params));
  }

  get(sql: string, params?: SqlParams): Promise<RawRow | undefined> {
    return this.#serial(() => this.#queries().get(sql, params));
  }

  run(sql: string, params?: SqlParams): Promise<number> {
    return this.#serial(() => this.#queries().run(sql, params));
  }

  exec(sql: string): Promise<void> {
    return this.#serial(() => this.#queries().exec(sql));
  }

  transaction<T>(fn: (q: SqlQueries) => Promise<T>): Promise<T> {
    return this.#serial(async () => {
      this.#db.exec("BEGIN IMMEDIATE");
      try {
        const result = await fn(this.#queries());
        this.#db.exec("COMMIT");
        return result;
      } catch (err) {
        if (this.#db.inTransaction) this.#db.exec("ROLLBACK");
        throw err;
      }
    });
  }

  async withoutForeignKeys<T>(fn: () => Promise<T>): Promise<T> {
    await this.#serial(() => this.#db.pragma("foreign_keys = OFF"));
    try {
      return await fn();
    } finally {
      await this.#serial(() => this.#db.pragma("foreign_keys = ON"));
    }
  }

  /** BEGIN IMMEDIATE already serialises migrating processes; each migration re-checks its row. */
  withMigrationLock<T>(fn: () => Promise<T>): Promise<T> {
    return fn();
  }

  async close(): Promise<void> {
    await this.#serial(() => {
      if (this.#db.open) this.#db.close();
    });
  }
}

/** better-sqlite3 rejects `undefined`; the store means SQL NULL by it. */
function bind(params: SqlParams | undefined): unknown[] {
  return (params ?? []).map((p) => (p === undefined ? null : p));
}
