import { SlipwayError, type SlipwayErrorOptions } from "../core/index.js";

/** A store failure with a stable code; tests assert the code, docs/store.md lists every one. */
export class StoreError extends SlipwayError<StoreErrorCode> {
  constructor(code: StoreErrorCode, message: string, options?: SlipwayErrorOptions) {
    super(code, message, options);
  }
}

export const STORE_ERROR_CODES = {
  SLIPWAY_E_STORE_URL: "The store URL is neither empty, `sqlite:[path]` nor `postgres://...`.",
  SLIPWAY_E_STORE_UNREACHABLE:
    "The SQLite file cannot be opened or the PostgreSQL server does not accept the connection.",
  SLIPWAY_E_STORE_SCHEMA_TOO_NEW:
    "The database was migrated by a newer Slipway than this one; upgrade before using it.",
  SLIPWAY_E_STORE_MIGRATION_FAILED:
    "A schema migration failed and was rolled back; the database keeps its previous version.",
  SLIPWAY_E_STORE_UNKNOWN_REPOSITORY: "A run was created for a repository the store does not know (upsert it first).",
  SLIPWAY_E_STORE_RUN_NOT_FOUND: "A stage, log, or artifact was written for a run id that does not exist.",
  SLIPWAY_E_STORE_LOCKED:
    "Another slipway serve holds this data dir's lock (or, on PostgreSQL, this runner id's); the message names its pid and host.",
  SLIPWAY_E_STORE_BAD_ARGUMENT: "An argument is out of range or malformed (limit, cursor, offset, status, name).",
} as const;

export type StoreErrorCode = keyof typeof STORE_ERROR_CODES;

/** True when a driver error is a foreign-key violation (PostgreSQL 23503, SQLite SQLITE_CONSTRAINT_FOREIGNKEY). */
export function isForeignKeyViolation(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return code === "23503" || code === "SQLITE_CONSTRAINT_FOREIGNKEY";
}

/** Turns a foreign-key violation on a run-scoped write into SLIPWAY_E_STORE_RUN_NOT_FOUND. */
export function runNotFound(err: unknown, runId: string): unknown {
  return isForeignKeyViolation(err)
    ? new StoreError("SLIPWAY_E_STORE_RUN_NOT_FOUND", `run ${runId} does not exist`, { cause: err })
    : err;
}

/** `postgres://user:secret@host/db` → `postgres://user:***@host/db`, for messages and `Store.location`. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z]+:\/\/[^:/@]*:)[^@]*@/i, "$1***@");
}

export function badArgument(message: string): StoreError {
  return new StoreError("SLIPWAY_E_STORE_BAD_ARGUMENT", message);
}
