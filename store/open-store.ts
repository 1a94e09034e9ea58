import { isAbsolute, resolve } from "node:path";
import { readStoreUrl } from "../core/index.js";
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
 * Where a store URL points (core's `readStoreUrl` grammar), with SQLite paths resolved against
 * the data dir: empty → `<dataDir>/slipway.db`, `sqlite:rel/file.db` → `<dataDir>/rel/file.db`.
 * Anything the grammar refuses is SLIPWAY_E_STORE_URL.
 */
export function parseStoreUrl(url: string | undefined, dataDir: string): StoreTarget {
  const reading = readStoreUrl(url);
  if (!reading.ok) throw new StoreError("SLIPWAY_E_STORE_URL", `store URL: ${reading.reason}`);
  const { location } = reading;
  if (location.engine === "postgres") return { engine: "postgres", url: location.url };
  const file = location.path === "" ? SQLITE_FILE : location.path;
  return { engine: "sqlite", file: isAbsolute(file) ? file : resolve(dataDir, file) };
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
