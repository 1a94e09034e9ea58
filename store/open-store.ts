import { isAbsolute, join, resolve } from "node:path";
import { StoreError } from "./errors.js";
import { PgDriver } from "./pg-driver.js";
import type { SqlDriver } from "./sql-driver.js";
import { SqlStore } from "./sql-store.js";
import { SqliteDriver } from "./sqlite-driver.js";
import type { Store } from "./store.js";

/** File name of the default SQLite database inside the data dir. */
export const SQLITE_FILE = "slipway.db";

export interface OpenStoreOptions {
  /** The runner's data dir; the default SQLite file and relative `sqlite:` paths live in it. */
  dataDir: string;
  /** Apply pending migrations before returning (default true). */
  migrate?: boolean;
}

/** Where a store URL points, before anything is opened. */
export type StoreTarget = { engine: "sqlite"; file: string } | { engine: "postgres"; url: string };

/**
 * Reads a store URL: empty or `sqlite:` → `<dataDir>/slipway.db`; `sqlite:/abs/file.db`,
 * `sqlite:///abs/file.db` or `sqlite:rel/file.db` (relative to the data dir) → that file;
 * `postgres://` or `postgresql://` → PostgreSQL. Anything else is SLIPWAY_E_STORE_URL.
 */
export function parseStoreUrl(url: string | undefined, dataDir: string): StoreTarget {
  const value = (url ?? "").trim();
  if (value === "" || value === "sqlite:" || value === "sqlite://") {
    return { engine: "sqlite", file: resolve(dataDir, SQLITE_FILE) };
  }
  if (/^postgres(ql)?:\/\//i.test(value)) return { engine: "postgres", url: value };
  if (value.toLowerCase().startsWith("sqlite:")) {
    let path = value.slice("sqlite:".length);
    // sqlite:///abs → /abs; sqlite://rel would be a host, which SQLite has no notion of.
    if (path.startsWith("///")) path = path.slice(2);
    else if (path.startsWith("//")) {
      throw new StoreError("SLIPWAY_E_STORE_URL", `${value}: write sqlite:/absolute/path.db or sqlite:relative.db`);
    }
    return { engine: "sqlite", file: isAbsolute(path) ? path : resolve(join(dataDir, path)) };
  }
  throw new StoreError(
    "SLIPWAY_E_STORE_URL",
    `store URL "${value}" is not understood: leave it empty for SQLite in the data dir, or use sqlite:/path/file.db or postgres://user:password@host:5432/db`,
  );
}

/**
 * Opens the store a URL names (see `parseStoreUrl`), checks that it answers and, unless told
 * otherwise, migrates it. Rejects with SLIPWAY_E_STORE_UNREACHABLE when the database cannot
 * be reached, so a runner fails at start-up rather than at its first run.
 */
export async function openStore(url: string | undefined, opts: OpenStoreOptions): Promise<Store> {
  const target = parseStoreUrl(url, opts.dataDir);
  const driver: SqlDriver = target.engine === "sqlite" ? new SqliteDriver(target.file) : new PgDriver(target.url);
  const store = new SqlStore(driver);
  try {
    await store.ping();
    if (opts.migrate !== false) await store.migrate();
    return store;
  } catch (err) {
    await store.close().catch(() => {});
    throw err;
  }
}
