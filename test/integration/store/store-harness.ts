import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { openStore, type Store } from "../../../store/index.js";

/** Where the store suite finds PostgreSQL; `.ci/postgres-up.sh` provisions exactly this. */
export const PG_URL = process.env.SLIPWAY_TEST_PG_URL ?? "postgres://slipway:slipway@127.0.0.1:5432/slipway_test";

/**
 * One fresh, empty database for one test, on one engine: a temporary data dir with its own
 * SQLite file, or a PostgreSQL schema of its own (selected with `search_path` in the URL) that
 * is dropped afterwards. `open` may be called several times to get independent `Store`
 * instances on the same database, standing in for several runners.
 */
export interface TestDatabase {
  engine: "sqlite" | "postgres";
  /** The URL `openStore` is given. */
  url: string | undefined;
  dataDir: string;
  open(opts?: { migrate?: boolean }): Promise<Store>;
  /** Raw SQL straight to the database, bypassing the store (to inspect what it wrote). */
  query(sql: string): Promise<Record<string, unknown>[]>;
  /** Closes every store opened here and removes the database. */
  dispose(): Promise<void>;
}

export type EngineName = "sqlite" | "postgres";
export const ENGINES: EngineName[] = ["sqlite", "postgres"];

/**
 * Fails (never skips) when PostgreSQL does not answer, in CI and outside it alike, naming the
 * script that provisions it: a store suite that silently ran on one engine would prove nothing
 * about the other. Called before every test (by `createTestDatabase`) so each PostgreSQL test
 * is reported as failed rather than skipped, as a failing `beforeAll` would leave them.
 */
export function requireEngine(engine: EngineName): Promise<void> {
  if (engine !== "postgres") return Promise.resolve();
  pgCheck ??= checkPostgres();
  return pgCheck;
}

let pgCheck: Promise<void> | undefined;

async function checkPostgres(): Promise<void> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
    await client.query("SELECT 1");
  } catch (err) {
    throw new Error(
      `The store tests need PostgreSQL at ${PG_URL.replace(/:[^:@/]*@/, ":***@")} (CI=${process.env.CI ?? "unset"}): ` +
        "run `bash .ci/postgres-up.sh` (root, Debian) or point SLIPWAY_TEST_PG_URL at a server. " +
        (err as Error).message,
    );
  } finally {
    await client.end().catch(() => {});
  }
}

export async function createTestDatabase(engine: EngineName): Promise<TestDatabase> {
  await requireEngine(engine);
  const dataDir = await mkdtemp(join(tmpdir(), "slipway-store-"));
  const stores: Store[] = [];
  const open = async (opts: { migrate?: boolean } = {}, url: string | undefined) => {
    const store = await openStore(url, { dataDir, ...opts });
    stores.push(store);
    return store;
  };
  const closeAll = async () => {
    await Promise.all(stores.map((s) => s.close()));
  };
  if (engine === "sqlite") {
    const file = join(dataDir, "slipway.db");
    return {
      engine,
      url: undefined,
      dataDir,
      open: (opts) => open(opts, undefined),
      query: async (sql) => {
        const db = new Database(file, { readonly: true });
        try {
          return db.prepare(sql).all() as Record<string, unknown>[];
        } finally {
          db.close();
        }
      },
      dispose: async () => {
        await closeAll();
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  }
  const schema = `slipway_test_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  const url = `${PG_URL}${PG_URL.includes("?") ? "&" : "?"}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  return {
    engine,
    url,
    dataDir,
    open: (opts) => open(opts, url),
    query: async (sql) => {
      await admin.query(`SET search_path = ${schema}`);
      return (await admin.query(sql)).rows;
    },
    dispose: async () => {
      await closeAll();
      await admin.query(`DROP SCHEMA ${schema} CASCADE`);
      await admin.end();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Catches a rejection's `code` so tests assert codes, not messages. */
export async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (err) {
    return (err as { code?: string }).code ?? `no code: ${(err as Error).message}`;
  }
}

/** Drains an async iterable into one string. */
export async function readAll(chunks: AsyncIterable<string>): Promise<string> {
  let text = "";
  for await (const chunk of chunks) text += chunk;
  return text;
}
