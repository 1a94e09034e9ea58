import { describe, expect, it } from "vitest";
import { backoffSchedule, MAX_DELAY_MS, parseRetryAfter, retryDelayMs } from "../../../runner/notify/index.js";

describe("retry backoff", () => {
  it("doubles from the configured backoff, with jitter between half and all of each delay", () => {
    expect(backoffSchedule(5, 10)).toEqual([
      [5_000, 10_000],
      [10_000, 20_000],
      [20_000, 40_000],
      [40_000, 80_000],
    ]);
    expect(backoffSchedule(1, 10)).toEqual([]);
    expect(retryDelayMs(3, 10, { random: () => 0.5 })).toBe(30_000);
  });

  it("spreads real random delays inside the bounds", () => {
    const delays = Array.from({ length: 200 }, () => retryDelayMs(2, 1));
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(1000);
    expect(Math.max(...delays)).toBeLessThanOrEqual(2000);
    expect(new Set(delays).size).toBeGreaterThan(50);
  });

  it("caps at an hour and honours a longer Retry-After, but not past the cap", () => {
    expect(retryDelayMs(30, 10, { random: () => 1 })).toBe(MAX_DELAY_MS);
    expect(retryDelayMs(1, 10, { random: () => 1, retryAfterSeconds: 120 })).toBe(120_000);
    expect(retryDelayMs(1, 10, { random: () => 1, retryAfterSeconds: 1 })).toBe(10_000);
    expect(retryDelayMs(1, 10, { random: () => 1, retryAfterSeconds: 86_400 })).toBe(MAX_DELAY_MS);
  });

  it("reads Retry-After in seconds or as an HTTP date", () => {
    expect(parseRetryAfter("120")).toBe(120);
    expect(parseRetryAfter("Wed, 02 Dec 2026 06:00:30 GMT", Date.parse("2026-12-02T06:00:00Z"))).toBe(30);
    expect(parseRetryAfter("soon")).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });
});
