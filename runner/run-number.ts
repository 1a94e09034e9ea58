import { createHash } from "node:crypto";
import { mkdir, open, readFile, rename, stat, unlink, writeFile } from "node:fs/promises";
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
 */
export async function nextRunNumber(dataDir: string, repoKey: string): Promise<number> {
  const dir = join(dataDir, "repos", createHash("sha1").update(repoKey).digest("hex").slice(0, 16));
  await mkdir(dir, { recursive: true });
  const lock = join(dir, "run-number.lock");
  await acquire(lock);
  try {
    const file = join(dir, "run-number");
    const next = (await readCounter(file)) + 1;
    await writeFile(`${file}.tmp`, `${next}\n`);
    await rename(`${file}.tmp`, file);
    await writeFile(join(dir, "repository"), `${repoKey}\n`);
    return next;
  } finally {
    await unlink(lock).catch(() => {});
  }
}

async function readCounter(file: string): Promise<number> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
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
      const handle = await open(lock, "wx");
      await handle.writeFile(`${process.pid} ${hostname()}\n`);
      await handle.close();
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") {
        throw new RunnerError("SLIPWAY_E_RUN_NUMBER", `cannot create the lock ${lock}: ${(err as Error).message}`, {
          cause: err,
        });
      }
    }
    if (await isStale(lock)) {
      // Rename first so two processes finding the same stale lock do not both delete a fresh one.
      const aside = `${lock}.stale-${process.pid}`;
      await rename(lock, aside).then(
        () => unlink(aside),
        () => {},
      );
      continue;
    }
    if (Date.now() > deadline) {
      const holder = (await readFile(lock, "utf8").catch(() => "?")).trim();
      throw new RunnerError("SLIPWAY_E_RUN_NUMBER", `the lock ${lock} is held by ${holder} (a live process)`);
    }
    await sleep(10 + Math.random() * 20);
  }
}

/** A lock is stale when its holder is a dead process of this host, or it has had no holder for a while. */
async function isStale(lock: string): Promise<boolean> {
  const text = await readFile(lock, "utf8").catch(() => undefined);
  const [pid, host] = (text ?? "").trim().split(" ");
  if (pid && host && /^\d+$/.test(pid)) return host === hostname() && !processAlive(Number(pid));
  const age = await stat(lock).then(
    (s) => Date.now() - s.mtimeMs,
    () => 0,
  );
  return age > OWNERLESS_STALE_MS;
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
