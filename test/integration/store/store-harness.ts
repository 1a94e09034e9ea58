import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { openStore, type Store } from "../../../store/index.js";
import { testPostgresUrl } from "../../helpers/postgres.js";

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
 * Fails (never skips) when PostgreSQL cannot be had, in CI and outside it alike: a store suite
 * that silently ran on one engine would prove nothing about the other. The server is
 * `$SLIPWAY_TEST_PG_URL`, else a container this suite starts itself (test/helpers/postgres.ts).
 * Called before every test (by `createTestDatabase`) so each PostgreSQL test is reported as
 * failed rather than skipped, as a failing `beforeAll` would leave them. Resolves to the URL.
 */
export function requireEngine(engine: EngineName): Promise<string | undefined> {
  if (engine !== "postgres") return Promise.resolve(undefined);
  pgCheck ??= checkPostgres();
  return pgCheck;
}

let pgCheck: Promise<string> | undefined;

async function checkPostgres(): Promise<string> {
  let url = process.env.SLIPWAY_TEST_PG_URL ?? "(a container of the suite)";
  try {
    url = await testPostgresUrl();
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
    try {
      await client.connect();
      await client.query("SELECT 1");
    } finally {
      await client.end().catch(() => {});
    }
    return url;
  } catch (err) {
    throw new Error(
      `The store tests need PostgreSQL at ${url.replace(/:[^:@/]*@/, ":***@")} (CI=${process.env.CI ?? "unset"}): ` +
        "unset SLIPWAY_TEST_PG_URL to let the suite start one in a container (a Docker engine is enough), " +
        `or point it at a server. ${(err as Error).message}`,
    );
  }
}

export async function createTestDatabase(engine: EngineName): Promise<TestDatabase> {
  const pgUrl = await requireEngine(engine);
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
  if (!pgUrl) throw new Error("unreachable: PostgreSQL has a URL once requireEngine resolved");
  const schema = `slipway_test_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: pgUrl });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  const url = `${pgUrl}${pgUrl.includes("?") ? "&" : "?"}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
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

/** Raw SQL that returns nothing (DDL, DELETE), straight to the database, bypassing the store. */
export async function rawExec(db: TestDatabase, sql: string): Promise<void> {
  if (db.engine === "postgres") {
    await db.query(sql);
    return;
  }
  const raw = new Database(`${db.dataDir}/slipway.db`);
  try {
    raw.exec(sql);
  } finally {
    raw.close();
  }
}
