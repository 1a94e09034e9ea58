import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
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
