import { createHash } from "node:crypto";
import { mkdir, readFile, rename, rmdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

/**
 * Next run number of a repository, monotonic across processes: a lock directory (mkdir is
 * atomic) guards the read-increment-write, and the write goes through a rename so a crash
 * never leaves a truncated counter.
 */
export async function nextRunNumber(dataDir: string, repoKey: string): Promise<number> {
  const dir = join(dataDir, "repos", createHash("sha1").update(repoKey).digest("hex").slice(0, 16));
  await mkdir(dir, { recursive: true });
  const lock = join(dir, "run-number.lock");
  for (let attempt = 0; ; attempt++) {
    try {
      await mkdir(lock);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST" || attempt > 200) throw err;
      await sleep(25);
    }
  }
  try {
    const file = join(dir, "run-number");
    const current = Number((await readFile(file, "utf8").catch(() => "0")).trim()) || 0;
    const next = current + 1;
    await writeFile(`${file}.tmp`, `${next}\n`);
    await rename(`${file}.tmp`, file);
    await writeFile(join(dir, "repository"), `${repoKey}\n`);
    return next;
  } finally {
    await rmdir(lock);
  }
}
