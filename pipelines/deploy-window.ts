import type { DeployWindow } from "./types.js";

/**
 * When an environment's deploy window is open, on a clock the caller gives (so it is table-
 * tested without waiting for Monday). Local time comes from Intl in the window's IANA zone,
 * which carries the zone's daylight-saving rules: no time-zone dependency, no offset tables.
 */

const DAY_NAMES = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"] as const;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timezone: string): Intl.DateTimeFormat {
  let f = formatters.get(timezone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: timezone,
      weekday: "short",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    });
    formatters.set(timezone, f);
  }
  return f;
}

/** True when `timezone` is a zone name Intl knows (`Europe/Berlin`, `UTC`). */
export function isTimeZone(timezone: string): boolean {
  try {
    formatter(timezone);
    return true;
  } catch {
    return false;
  }
}

/** Day of the week (0 = Sunday) and minute of the day at `at` in the zone. */
export function localTime(timezone: string, at: number): { day: number; minute: number } {
  const parts = formatter(timezone).formatToParts(new Date(at));
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? "";
  const day = DAY_NAMES.indexOf(get("weekday").toLowerCase() as (typeof DAY_NAMES)[number]);
  return { day, minute: Number(get("hour")) * 60 + Number(get("minute")) };
}

export function isWindowOpen(window: DeployWindow, at: number): boolean {
  const { day, minute } = localTime(window.timezone, at);
  return window.days.includes(day) && window.hours.some((h) => minute >= h.start && minute < h.end);
}

const MINUTE = 60_000;
/** A week and a day: every window with a day and an hour opens within it. */
const HORIZON = 8 * 24 * 60 * MINUTE;
/** Coarse steps never jump over a whole range, and stay below a DST shift. */
const MAX_STEP = 30 * MINUTE;

/**
 * The first instant, at minute resolution, at or after `from` when the window is open
 * (`from` itself when it is open now); undefined when it never opens within eight days.
 * Steps forward by at most 30 minutes towards the next local range start, then narrows the
 * last step down to the minute, so a daylight-saving jump is never stepped over unnoticed.
 */
export function nextWindowOpening(window: DeployWindow, from: number): number | undefined {
  if (isWindowOpen(window, from)) return from;
  let closed = Math.floor(from / MINUTE) * MINUTE;
  const end = from + HORIZON;
  while (closed < end) {
    const { minute } = localTime(window.timezone, closed);
    const nextStart = window.hours.map((h) => h.start).find((s) => s > minute);
    const untilStart = (nextStart ?? 24 * 60) - minute;
    const step = Math.min(Math.max(untilStart, 1) * MINUTE, MAX_STEP);
    const probe = closed + step;
    if (isWindowOpen(window, probe)) {
      // Open somewhere in (closed, probe]: the first open minute, by bisection.
      let lo = closed;
      let hi = probe;
      while (hi - lo > MINUTE) {
        const mid = lo + Math.floor((hi - lo) / 2 / MINUTE) * MINUTE;
        if (isWindowOpen(window, mid)) hi = mid;
        else lo = mid;
      }
      return Math.max(hi, from);
    }
    closed = probe;
  }
  return undefined;
}

/** `mon,tue 09:00-17:00 Europe/Berlin`: the window as a person reads it, for messages. */
export function describeWindow(window: DeployWindow): string {
  const days = window.days.length === 7 ? "every day" : window.days.map((d) => DAY_NAMES[d]).join(",");
  const hm = (m: number) => `${String(Math.floor(m / 60)).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}`;
  const hours = window.hours.map((h) => `${hm(h.start)}-${hm(h.end)}`).join(",");
  return `${days} ${hours} ${window.timezone}`;
}

export { DAY_NAMES };
