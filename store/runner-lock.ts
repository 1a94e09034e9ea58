import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { dirname, join, resolve } from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { StoreError } from "./errors.js";
import { parseStoreUrl } from "./open-store.js";

/** Who holds a runner lock: written beside the lock so a refused second daemon can name it. */
export interface LockHolder {
  pid: number;
  host: string;
  startedAt: number;
  runnerId: string;
}

/** Held for the life of `slipway serve`; `release()` is idempotent. */
export interface RunnerLock {
  /** Where the lock lives: lock file paths, and `postgres advisory lock (runner id)`. */
  readonly where: string[];
  release(): Promise<void>;
}

export interface RunnerLockOptions {
  dataDir: string;
  runnerId: string;
}

/** File name of the data dir's lock (a SQLite database used only for its file lock). */
export const LOCK_FILE = "serve.lock";
/** First key of the two-key advisory lock: "slipway" in a 32-bit integer, so other apps' keys do not collide. */
const ADVISORY_CLASS = 0x5119_a7;

/**
 * The files whose lock a daemon must hold: the data dir's, and the SQLite file's when the
 * store lives elsewhere (two daemons with different data dirs on one SQLite file would
 * reconcile each other's runs just the same).
 */
function lockFiles(url: string | undefined, dataDir: string): string[] {
  const files = [join(resolve(dataDir), LOCK_FILE)];
  const target = parseStoreUrl(url, dataDir);
  if (target.engine === "sqlite" && dirname(target.file) !== resolve(dataDir)) files.push(`${target.file}.lock`);
  return files;
}

function holderFile(lock: string): string {
  return `${lock}.holder`;
}

function describeHolder(lock: string): string {
  try {
    const h = JSON.parse(readFileSync(holderFile(lock), "utf8")) as LockHolder;
    return `pid ${h.pid} on host ${h.host} (runner ${h.runnerId}, started ${new Date(h.startedAt).toISOString()})`;
  } catch {
    return "another process (its pid and host are not recorded yet)";
  }
}

function lockedError(where: string, holder: string): StoreError {
  return new StoreError(
    "SLIPWAY_E_STORE_LOCKED",
    `another slipway serve holds ${where}: ${holder}. One daemon per data dir and runner id; stop that one first, or give this one its own data dir and runner id`,
  );
}

/**
 * The OS file lock is taken through SQLite: an exclusive transaction that stays open holds a
 * POSIX lock on the file, which the kernel drops when the process dies however it dies
 * (kill -9, power cut, a recreated container). So there is no stale lock to recover and no
 * pid check that a recycled pid or a new container hostname could fool.
 */
function openExclusive(file: string): Database.Database | undefined {
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { timeout: 0 });
    db.pragma("journal_mode = MEMORY");
    db.pragma("locking_mode = EXCLUSIVE");
    db.exec("BEGIN EXCLUSIVE");
    return db;
  } catch (err) {
    db?.close();
    if ((err as { code?: string }).code === "SQLITE_BUSY") return undefined;
    throw new StoreError(
      "SLIPWAY_E_STORE_UNREACHABLE",
      `cannot create the lock file ${file}: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
}

/** Whether a lock file exists and a live process holds it; reads only, creates nothing. */
function isHeld(file: string): boolean {
  if (!existsSync(file)) return false;
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true, timeout: 0 });
    db.prepare("SELECT count(*) FROM sqlite_master").get();
    return false;
  } catch (err) {
    return (err as { code?: string }).code === "SQLITE_BUSY";
  } finally {
    db?.close();
  }
}

function advisoryKey(runnerId: string): string {
  return `slipway-runner:${runnerId}`;
}

/**
 * Refuses (SLIPWAY_E_STORE_LOCKED) when a live daemon holds the data dir's lock, without
 * creating the data dir or any file: `slipway serve` calls it before it binds its address, so
 * a second daemon is turned away having touched nothing. `acquireRunnerLock` decides for real.
 */
export function probeRunnerLock(url: string | undefined, opts: RunnerLockOptions): void {
  for (const file of lockFiles(url, opts.dataDir)) {
    if (isHeld(file)) throw lockedError(`the lock ${file}`, describeHolder(file));
  }
}

/**
 * Takes the daemon's locks: the data dir's file lock (and the SQLite file's), and for
 * PostgreSQL a session-level advisory lock keyed on the runner id, held on a connection of its
 * own, so two runners with one id on a shared database cannot reconcile each other's live runs.
 * Creates the data dir. Rejects with SLIPWAY_E_STORE_LOCKED naming the holder.
 */
export async function acquireRunnerLock(url: string | undefined, opts: RunnerLockOptions): Promise<RunnerLock> {
  const held: Array<() => Promise<void>> = [];
  const where: string[] = [];
  const release = async () => {
    for (const undo of held.splice(0).reverse()) await undo().catch(() => {});
  };
  const holder: LockHolder = { pid: process.pid, host: hostname(), startedAt: Date.now(), runnerId: opts.runnerId };
  try {
    for (const file of lockFiles(url, opts.dataDir)) {
      mkdirSync(dirname(file), { recursive: true });
      const db = openExclusive(file);
      if (!db) throw lockedError(`the lock ${file}`, describeHolder(file));
      writeFileSync(holderFile(file), `${JSON.stringify(holder)}\n`);
      held.push(async () => {
        rmSync(holderFile(file), { force: true });
        db.close();
      });
      where.push(file);
    }
    const target = parseStoreUrl(url, opts.dataDir);
    if (target.engine === "postgres") {
      const client = await lockPostgres(target.url, opts.runnerId, holder);
      held.push(() => client.end());
      where.push(`postgres advisory lock (runner ${opts.runnerId})`);
    }
  } catch (err) {
    await release();
    throw err;
  }
  let released: Promise<void> | undefined;
  return { where, release: () => (released ??= release()) };
}

async function lockPostgres(url: string, runnerId: string, holder: LockHolder): Promise<pg.Client> {
  // The holder is told by application_name, which pg_stat_activity shows to the refused daemon.
  const client = new pg.Client({
    connectionString: url,
    application_name: `slipway serve pid=${holder.pid} host=${holder.host}`.slice(0, 63),
  });
  // A dropped lock connection must not crash the daemon; the lock is then lost, which the
  // next start notices, and queries on the pool report the outage.
  client.on("error", () => {});
  try {
    await client.connect();
  } catch (err) {
    throw new StoreError(
      "SLIPWAY_E_STORE_UNREACHABLE",
      `cannot connect to PostgreSQL for the runner lock: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
  const key = advisoryKey(runnerId);
  const got = await client.query("SELECT pg_try_advisory_lock($1::int, hashtext($2)) AS ok", [ADVISORY_CLASS, key]);
  if (got.rows[0]?.ok === true) return client;
  const who = await client
    .query(
      `SELECT a.application_name AS name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
        WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
          AND l.classid = $1::int::oid AND l.objid = (hashtext($2)::bigint & 4294967295)::oid`,
      [ADVISORY_CLASS, key],
    )
    .catch(() => ({ rows: [] as { name?: string }[] }));
  await client.end().catch(() => {});
  const name = String(who.rows[0]?.name ?? "");
  const m = /pid=(\d+) host=(\S+)/.exec(name);
  throw lockedError(
    `the PostgreSQL advisory lock of runner ${runnerId}`,
    m ? `pid ${m[1]} on host ${m[2]}` : "another connection",
  );
}
