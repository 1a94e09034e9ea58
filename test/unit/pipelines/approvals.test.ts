import { describe, expect, it } from "vitest";
import { formatProblem, parsePipeline } from "../../../pipelines/index.js";

/** A pipeline whose production environment has the given extra lines (indented under it). */
function withEnvironment(lines: string[]): string {
  return [
    "name: shop",
    "stages:",
    "  - { name: deploy, deploy: production }",
    "environments:",
    "  production:",
    "    compose: deploy/compose.yml",
    ...lines.map((l) => `    ${l}`),
    "",
  ].join("\n");
}

function problemsOf(lines: string[]): string[] {
  const result = parsePipeline(withEnvironment(lines), "slipway.yml");
  expect(result.ok).toBe(false);
  return result.problems.map(formatProblem);
}

describe("environments: approval and window", () => {
  it("reads approval: manual, approval_timeout and a window", () => {
    const result = parsePipeline(
      withEnvironment([
        "approval: manual",
        "approval_timeout: 1h30m",
        "window:",
        "  timezone: Europe/Berlin",
        "  days: [mon-wed, fri]",
        '  hours: ["13:00-17:00", "09:00-12:00"]',
        "  outside: refuse",
      ]),
      "slipway.yml",
    );
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const env = result.pipeline.environments.production;
    expect(env?.approval).toBe("manual");
    expect(env?.approvalTimeoutSeconds).toBe(5400);
    expect(env?.window).toEqual({
      timezone: "Europe/Berlin",
      days: [1, 2, 3, 5],
      hours: [
        { start: 540, end: 720 },
        { start: 780, end: 1020 },
      ],
      outside: "refuse",
    });
  });

  it("fills the window's defaults: every day, all day, wait", () => {
    const result = parsePipeline(withEnvironment(["window: { timezone: UTC }"]), "slipway.yml");
    expect(result.ok && result.pipeline.environments.production?.window).toEqual({
      timezone: "UTC",
      days: [0, 1, 2, 3, 4, 5, 6],
      hours: [{ start: 0, end: 1440 }],
      outside: "wait",
    });
  });

  it("accepts a range of days over the weekend", () => {
    const result = parsePipeline(withEnvironment(["window: { timezone: UTC, days: fri-mon }"]), "slipway.yml");
    expect(result.ok && result.pipeline.environments.production?.window?.days).toEqual([0, 1, 5, 6]);
  });

  it.each([
    [
      ["approval_timeout: 2h"],
      "slipway.yml:7:5: error SLIPWAY_E_PIPELINE_IGNORED_KEY: approval_timeout has no effect without approval: manual",
    ],
    [["approval: manual", "approval_timeout: soon"], "slipway.yml:8:23: error SLIPWAY_E_PIPELINE_BAD_DURATION"],
    [["approval: manual", "approval_timeout: 0"], "slipway.yml:8:23: error SLIPWAY_E_PIPELINE_BAD_VALUE"],
    [["approval: always"], "slipway.yml:7:15: error SLIPWAY_E_PIPELINE_BAD_VALUE"],
    [
      ["window: { timezone: Mars/Olympus }"],
      'slipway.yml:7:25: error SLIPWAY_E_PIPELINE_BAD_WINDOW: "Mars/Olympus" is not a time zone',
    ],
    [["window: { days: [mon] }"], "slipway.yml:7:13: error SLIPWAY_E_PIPELINE_REQUIRED"],
    [
      ["window: { timezone: UTC, days: [mon, funday] }"],
      'slipway.yml:7:42: error SLIPWAY_E_PIPELINE_BAD_WINDOW: "funday" is not a day',
    ],
    [
      ['window: { timezone: UTC, hours: "17:00-09:00" }'],
      'slipway.yml:7:37: error SLIPWAY_E_PIPELINE_BAD_WINDOW: "17:00-09:00" ends before it starts',
    ],
    [
      ['window: { timezone: UTC, hours: ["9-17"] }'],
      'slipway.yml:7:38: error SLIPWAY_E_PIPELINE_BAD_WINDOW: "9-17" is not a range of hours',
    ],
    [["window: { timezone: UTC, outside: skip }"], "slipway.yml:7:39: error SLIPWAY_E_PIPELINE_BAD_VALUE"],
    [["window: { timezone: UTC, weekdays: [mon] }"], "slipway.yml:7:30: error SLIPWAY_E_PIPELINE_UNKNOWN_KEY"],
  ])("refuses %j with a positioned problem", (lines, expected) => {
    const problems = problemsOf(lines);
    expect(
      problems.some((p) => p.startsWith(expected)),
      problems.join("\n"),
    ).toBe(true);
  });
});
