import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { formatStageTable } from "../../../runner/report.js";
import { nextRunNumber } from "../../../runner/run-number.js";

describe("nextRunNumber", () => {
  it("is per repository, monotonic and unique under concurrency", async () => {
    const dir = mkdtempSync(join(tmpdir(), "slipway-rn-"));
    try {
      const numbers = await Promise.all(Array.from({ length: 20 }, () => nextRunNumber(dir, "/repo/a")));
      expect([...numbers].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      expect(await nextRunNumber(dir, "/repo/b")).toBe(1);
      expect(await nextRunNumber(dir, "/repo/a")).toBe(21);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** The directory nextRunNumber keeps a repository's counter in (created by a first call). */
async function repoDir(data: string, key: string): Promise<string> {
  await nextRunNumber(data, key);
  const [name] = readdirSync(join(data, "repos"));
  return join(data, "repos", name as string);
}

/** A pid that surely names no process: one that just exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"]);
  return Number(child.stdout.toString());
}

describe("nextRunNumber: locks and bad counters", () => {
  it("takes over a lock left by a dead process of this host", async () => {
    const data = mkdtempSync(join(tmpdir(), "slipway-rn-"));
    try {
      const dir = await repoDir(data, "/repo/stale");
      writeFileSync(join(dir, "run-number.lock"), `${deadPid()} ${hostname()}\n`);
      expect(await nextRunNumber(data, "/repo/stale")).toBe(2);
      expect(existsSync(join(dir, "run-number.lock"))).toBe(false);
    } finally {
      rmSync(data, { recursive: true, force: true });
    }
  });

  it("waits for a live holder instead of taking its lock", async () => {
    const data = mkdtempSync(join(tmpdir(), "slipway-rn-"));
    try {
      const dir = await repoDir(data, "/repo/live");
      const lock = join(dir, "run-number.lock");
      writeFileSync(lock, `${process.pid} ${hostname()}\n`);
      let done = false;
      const next = nextRunNumber(data, "/repo/live").then((n) => {
        done = true;
        return n;
      });
      await new Promise((r) => setTimeout(r, 200));
      expect(done).toBe(false);
      rmSync(lock);
      expect(await next).toBe(2);
    } finally {
      rmSync(data, { recursive: true, force: true });
    }
  });

  it("refuses a counter that is not a number with SLIPWAY_E_RUN_NUMBER, and keeps it", async () => {
    const data = mkdtempSync(join(tmpdir(), "slipway-rn-"));
    try {
      const dir = await repoDir(data, "/repo/corrupt");
      writeFileSync(join(dir, "run-number"), "garbage\n");
      await expect(nextRunNumber(data, "/repo/corrupt")).rejects.toMatchObject({ code: "SLIPWAY_E_RUN_NUMBER" });
      expect(existsSync(join(dir, "run-number.lock"))).toBe(false);
    } finally {
      rmSync(data, { recursive: true, force: true });
    }
  });

  it("refuses an unreadable counter file with SLIPWAY_E_RUN_NUMBER, never restarting at 1", async () => {
    const data = mkdtempSync(join(tmpdir(), "slipway-rn-"));
    try {
      const dir = await repoDir(data, "/repo/unreadable");
      // A directory where the file should be: unreadable as a file even for root (chmod is not).
      rmSync(join(dir, "run-number"));
      mkdirSync(join(dir, "run-number"));
      chmodSync(join(dir, "run-number"), 0o000);
      await expect(nextRunNumber(data, "/repo/unreadable")).rejects.toMatchObject({ code: "SLIPWAY_E_RUN_NUMBER" });
    } finally {
      chmodSync(join(data), 0o755);
      rmSync(data, { recursive: true, force: true });
    }
  });
});

describe("formatStageTable", () => {
  it("aligns columns and shows - for skipped durations", () => {
    expect(
      formatStageTable([
        { name: "build", type: "build", status: "success", durationMs: 1234 },
        { name: "push-images", type: "push", status: "skipped", durationMs: 0, detail: "not selected" },
      ]),
    ).toEqual([
      "STAGE        STATUS   DURATION  DETAIL",
      "build        success  1.23s",
      "push-images  skipped  -         not selected",
    ]);
  });
});
