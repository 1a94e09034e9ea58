import { describe, expect, it } from "vitest";
import { formatDuration, parseDuration } from "../../../core/index.js";

describe("parseDuration", () => {
  it.each<[string | number, number]>([
    [90, 90],
    [0, 0],
    [1.5, 1.5],
    ["90", 90],
    ["90s", 90],
    ["5m", 300],
    ["1h", 3600],
    ["1m30s", 90],
    ["1h2m3s", 3723],
    ["250ms", 0.25],
    [" 10s ", 10],
    ["30d", 30 * 86400],
    ["1d12h", 36 * 3600],
    ["1h30m", 5400],
  ])("%j → %d s", (input, seconds) => {
    expect(parseDuration(input)).toEqual({ ok: true, seconds });
  });

  it.each<string | number>(["", "5 minutes", "10x", "30s1m", "1m1m", "-5s", "s", -1, Number.POSITIVE_INFINITY])(
    "%j is rejected",
    (input) => {
      expect(parseDuration(input).ok).toBe(false);
    },
  );

  it("with requireUnit refuses bare numbers, the same grammar otherwise", () => {
    for (const bare of [90, "90", " 1.5 "]) expect(parseDuration(bare, { requireUnit: true }).ok).toBe(false);
    expect(parseDuration("250ms", { requireUnit: true })).toEqual({ ok: true, seconds: 0.25 });
    expect(parseDuration("30d", { requireUnit: true })).toEqual({ ok: true, seconds: 2_592_000 });
  });

  it("formats whole seconds back", () => {
    expect([0, 90, 3723, 60, 1.5].map(formatDuration)).toEqual(["0s", "1m30s", "1h2m3s", "1m", "1.5s"]);
  });
});
