import type { RawRow } from "./rows.js";

/** Parameters bound to `?` placeholders, in order. */
export type SqlParams = ReadonlyArray<string | number | Buffer | null | undefined>;

/** Statements the shared store logic runs; inside a transaction they all use its connection. */
export interface SqlQueries {
  /** All rows of a query (or of a statement with RETURNING). */
  all(sql: string, params?: SqlParams): Promise<RawRow[]>;
  /** The first row, or undefined. */
  get(sql: string, params?: SqlParams): Promise<RawRow | undefined>;
  /** Runs a statement; resolves to the number of rows it changed. */
  run(sql: string, params?: SqlParams): Promise<number>;
  /** Several `;`-separated statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

/**
 * What an engine provides to `SqlStore`. SQL is written once, with `?` placeholders and the
 * syntax both engines share (ON CONFLICT ... DO UPDATE, RETURNING); the PostgreSQL driver
 * rewrites placeholders to `$n`. Only DDL, locking and claiming differ per engine.
 */
export interface SqlDriver extends SqlQueries {
  readonly engine: "sqlite" | "postgres";
  readonly location: string;
  /**
   * Runs `fn` in a write transaction: committed when it resolves, rolled back when it throws.
   * SQLite takes the write lock at BEGIN (IMMEDIATE) so concurrent writers queue instead of
   * failing on lock upgrade; PostgreSQL uses one pooled connection at READ COMMITTED.
   */
  transaction<T>(fn: (q: SqlQueries) => Promise<T>): Promise<T>;
  /**
   * Runs `fn` with SQLite's foreign-key enforcement off (a no-op on PostgreSQL), as SQLite's
   * documented table rebuild needs: with enforcement on, dropping the old table would cascade
   * into every table referencing it. The pragma cannot change inside a transaction, so this
   * wraps the migration's transaction.
   */
  withoutForeignKeys<T>(fn: () => Promise<T>): Promise<T>;
  /** Runs `fn` while no other store on this database migrates (PostgreSQL advisory lock). */
  withMigrationLock<T>(fn: () => Promise<T>): Promise<T>;
  /**
   * UPDATE that moves the oldest queued run to running and returns it; parameters are
   * (owner, startedAt). PostgreSQL locks the candidate with FOR UPDATE SKIP LOCKED.
   */
  readonly claimSql: string;
  close(): Promise<void>;
}

/** Thrown inside a transaction to roll it back and still return a value (a duplicate run). */
export class Rollback<T> {
  constructor(readonly value: T) {}
}

/** `a = ? AND b = ?` → `a = $1 AND b = $2`. The shared SQL never holds a literal `?`. */
export function toNumberedPlaceholders(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}
