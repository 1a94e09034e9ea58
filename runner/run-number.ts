import { createHash } from "node:crypto";
import {
  closeSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { RunnerError } from "./errors.js";

/** How long a lock may go without a readable owner before it counts as stale (a crash mid-create). */
const OWNERLESS_STALE_MS = 10_000;
/** How long to wait for a live holder (it holds the lock for a read and a write: milliseconds). */
const WAIT_MS = 10_000;

/**
 * Next run number of a repository, monotonic across processes. A lock file created
 * exclusively (`wx`) guards the read-increment-write and names its holder (`pid host`); a lock
 * whose holder is a dead process of this host is stale and taken over, so a `kill -9` at the
 * wrong moment does not wedge every later run. The write goes through a rename so a crash
 * never leaves a truncated counter. A counter that cannot be read (other than not existing
 * yet) or is not a number is an error, SLIPWAY_E_RUN_NUMBER, never a reset: a repeated
 * number would overwrite the image tags of an earlier run.
 *
 * The file calls are synchronous: the critical section is a handful of calls on a local file
 * (~0.1 ms in all), made while the run's start-up parses the pipeline on the same thread, and
 * as promises each hopped to the thread pool and back behind that work: 5-10 ms of every
 * `slipway run`. Only the wait for a live holder is asynchronous.
 */
export async function nextRunNumber(dataDir: string, repoKey: string): Promise<number> {
  const dir = repoStateDir(dataDir, repoKey);
  mkdirSync(dir, { recursive: true });
  const lock = join(dir, "run-number.lock");
  await acquire(lock);
  try {
    const file = join(dir, "run-number");
    const next = readCounter(file) + 1;
    writeFileSync(`${file}.tmp`, `${next}\n`);
    renameSync(`${file}.tmp`, file);
    writeFileSync(join(dir, "repository"), `${repoKey}\n`);
    return next;
  } finally {
    try {
      unlinkSync(lock);
    } catch {}
  }
}

/** The directory of a repository's local state (its run counter, its pipeline's last parse). */
export function repoStateDir(dataDir: string, repoKey: string): string {
  return join(dataDir, "repos", createHash("sha1").update(repoKey).digest("hex").slice(0, 16));
}

function readCounter(file: string): number {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return 0;
    throw new RunnerError("SLIPWAY_E_RUN_NUMBER", `cannot read the run counter ${file}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const value = text.trim();
  if (!/^\d{1,15}$/.test(value)) {
    throw new RunnerError(
      "SLIPWAY_E_RUN_NUMBER",
      `the run counter ${file} holds ${JSON.stringify(value.slice(0, 40))}, not a run number; fix or remove it by hand`,
    );
  }
  return Number(value);
}

async function acquire(lock: string): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    try {
      const fd = openSync(lock, "wx");
      try {
        writeSync(fd, `${process.pid} ${hostname()}\n`);
      } finally {
        closeSync(fd);
      }
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") {
        throw new RunnerError("SLIPWAY_E_RUN_NUMBER", `cannot create the lock ${lock}: ${(err as Error).message}`, {
          cause: err,
        });
      }
    }
    if (isStale(lock)) {
      // Rename first so two processes finding the same stale lock do not both delete a fresh one.
      const aside = `${lock}.stale-${process.pid}`;
      try {
        renameSync(lock, aside);
        unlinkSync(aside);
      } catch {}
      continue;
    }
    if (Date.now() > deadline) {
      const holder = readTextOr(lock, "?").trim();
      throw new RunnerError("SLIPWAY_E_RUN_NUMBER", `the lock ${lock} is held by ${holder} (a live process)`);
    }
    await sleep(10 + Math.random() * 20);
  }
}

/** A lock is stale when its holder is a dead process of this host, or it has had no holder for a while. */
function isStale(lock: string): boolean {
  const [pid, host] = readTextOr(lock, "").trim().split(" ");
  if (pid && host && /^\d+$/.test(pid)) return host === hostname() && !processAlive(Number(pid));
  let age = 0;
  try {
    age = Date.now() - statSync(lock).mtimeMs;
  } catch {}
  return age > OWNERLESS_STALE_MS;
}

function readTextOr(file: string, fallback: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return fallback;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to another user.
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
