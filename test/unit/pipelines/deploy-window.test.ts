import { describe, expect, it } from "vitest";
import { type DeployWindow, describeWindow, isWindowOpen, nextWindowOpening } from "../../../pipelines/index.js";

const hm = (h: number, m = 0) => h * 60 + m;
const at = (iso: string) => Date.parse(iso);

/** Weekdays 09:00-17:00 in Berlin (CET in December: UTC+1). */
const office: DeployWindow = {
  timezone: "Europe/Berlin",
  days: [1, 2, 3, 4, 5],
  hours: [{ start: hm(9), end: hm(17) }],
  outside: "wait",
};

describe("deploy windows on a fixed clock", () => {
  it.each([
    // 2026-12-02 is a Wednesday.
    ["2026-12-02T07:59:00Z", office, false, "2026-12-02T08:00:00.000Z"],
    ["2026-12-02T08:00:00Z", office, true, "2026-12-02T08:00:00.000Z"],
    ["2026-12-02T15:59:30Z", office, true, "2026-12-02T15:59:30.000Z"],
    // 17:00 local is the end: closed, next opening Thursday 09:00.
    ["2026-12-02T16:00:00Z", office, false, "2026-12-03T08:00:00.000Z"],
    // Friday evening: Monday morning.
    ["2026-12-04T16:30:00Z", office, false, "2026-12-07T08:00:00.000Z"],
    ["2026-12-05T12:00:00Z", office, false, "2026-12-07T08:00:00.000Z"],
    // Two ranges a day: the lunch break waits for 13:00.
    [
      "2026-12-02T11:15:00Z",
      {
        ...office,
        hours: [
          { start: hm(9), end: hm(12) },
          { start: hm(13), end: hm(17) },
        ],
      },
      false,
      "2026-12-02T12:00:00.000Z",
    ],
    // New York (EST, UTC-5), Saturdays 10:00-12:00.
    [
      "2026-12-02T12:00:00Z",
      { timezone: "America/New_York", days: [6], hours: [{ start: hm(10), end: hm(12) }], outside: "wait" },
      false,
      "2026-12-05T15:00:00.000Z",
    ],
    // Spring forward in Berlin on 2026-03-29: 02:00 becomes 03:00, so 02:30 does not exist that
    // day and the window opens at 03:00 CEST (01:00Z), not an hour late.
    [
      "2026-03-29T00:30:00Z",
      { timezone: "Europe/Berlin", days: [0], hours: [{ start: hm(2, 30), end: hm(4) }], outside: "wait" },
      false,
      "2026-03-29T01:00:00.000Z",
    ],
    // Fall back on 2026-10-25: 02:00 CEST comes first (00:00Z).
    [
      "2026-10-24T23:00:00Z",
      { timezone: "Europe/Berlin", days: [0], hours: [{ start: hm(2), end: hm(3) }], outside: "wait" },
      false,
      "2026-10-25T00:00:00.000Z",
    ],
    // A range ending at 24:00 includes the day's last minute.
    [
      "2026-12-02T23:59:00Z",
      { timezone: "UTC", days: [3], hours: [{ start: hm(22), end: 1440 }], outside: "wait" },
      true,
      "2026-12-02T23:59:00.000Z",
    ],
    [
      "2026-12-03T00:00:00Z",
      { timezone: "UTC", days: [3], hours: [{ start: hm(22), end: 1440 }], outside: "wait" },
      false,
      "2026-12-09T22:00:00.000Z",
    ],
  ] as [string, DeployWindow, boolean, string][])("at %s: open %#", (now, window, open, next) => {
    expect(isWindowOpen(window, at(now))).toBe(open);
    expect(new Date(nextWindowOpening(window, at(now)) ?? 0).toISOString()).toBe(next);
  });

  it("describes a window the way messages show it", () => {
    expect(describeWindow(office)).toBe("mon,tue,wed,thu,fri 09:00-17:00 Europe/Berlin");
  });

  it("finds the next opening quickly (a week of stepping)", () => {
    const started = performance.now();
    for (let i = 0; i < 100; i++) nextWindowOpening({ ...office, days: [1] }, at("2026-12-01T10:00:00Z"));
    expect(performance.now() - started).toBeLessThan(2000);
  });
});
