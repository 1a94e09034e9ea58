import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../helpers/fixture-repo.js";

describe("security: no crash from an unhandled rejection (issue 7 / 11)", () => {
  it("the process guard logs, counts and fails the run each stray error belongs to; the process lives on", () => {
    const probe = spawnSync(
      process.execPath,
      [join(ROOT, "bin", "run-ts.js"), join(ROOT, "test/security/fixtures/guard-probe.ts")],
      {
        cwd: ROOT,
        encoding: "utf8",
        timeout: 60_000,
      },
    );
    expect(probe.status, probe.stderr).toBe(0);
    const result = JSON.parse(probe.stdout.trim().split("\n").at(-1) ?? "{}") as {
      failed: { runId: string; code: string; message: string }[];
      logs: string[];
      metrics: string[];
    };
    const byRun = Object.fromEntries(result.failed.map((f) => [f.runId, f]));
    expect(Object.keys(byRun).sort()).toEqual(["run-A", "run-B"]);
    expect(byRun["run-A"]?.code).toBe("SLIPWAY_E_SERVE_UNEXPECTED");
    expect(byRun["run-A"]?.message).toMatch(/unhandledRejection.*ENOTDIR/);
    expect(byRun["run-B"]?.message).toMatch(/uncaughtException.*boom in a timer/);
    expect(result.metrics).toContain('slipway_unexpected_errors_total{source="unhandledRejection"} 2');
    expect(result.metrics).toContain('slipway_unexpected_errors_total{source="uncaughtException"} 1');
    expect(result.logs.some((l) => l.includes("no run at all") && !l.includes(" in run "))).toBe(true);
    expect(result.logs.some((l) => l.includes("in run run-A"))).toBe(true);
  });
});
