import { DAY_NAMES, isTimeZone } from "./deploy-window.js";
import { type Checker, readEnum, readMap, readString, readStringItems, type Slot } from "./schema.js";
import type { DeployWindow } from "./types.js";

/**
 * `window:` of an environment:
 *
 *     window: { timezone: Europe/Berlin, days: [mon-fri], hours: ["09:00-12:00", "13:00-17:00"], outside: wait }
 *
 * Every part is checked here, with its position, because a window that silently never opens
 * (a misspelt zone, `17:00-09:00`) would hold every deploy of the environment.
 */

const WINDOW_KEYS = ["timezone", "days", "hours", "outside"];
const HOURS = /^(\d{2}):(\d{2})-(\d{2}):(\d{2})$/;

function bad(c: Checker, slot: Slot, message: string): undefined {
  c.report(c.slotPosition(slot), slot.path, "SLIPWAY_E_PIPELINE_BAD_WINDOW", message);
  return undefined;
}

function readDays(c: Checker, slot: Slot): number[] | undefined {
  const items = readStringItems(c, slot);
  if (items === undefined) return undefined;
  const days = new Set<number>();
  let ok = true;
  for (const { text, slot: at } of items) {
    const [from, to, extra] = text.toLowerCase().split("-");
    const a = DAY_NAMES.indexOf(from as (typeof DAY_NAMES)[number]);
    const b = to === undefined ? a : DAY_NAMES.indexOf(to as (typeof DAY_NAMES)[number]);
    if (a < 0 || b < 0 || extra !== undefined) {
      bad(
        c,
        at,
        `"${text}" is not a day or a range of days: use mon, tue, wed, thu, fri, sat, sun or a range like mon-fri`,
      );
      ok = false;
      continue;
    }
    // A range may wrap over the weekend: fri-mon is fri, sat, sun, mon.
    for (let d = a; ; d = (d + 1) % 7) {
      days.add(d);
      if (d === b) break;
    }
  }
  if (ok && days.size === 0) return bad(c, slot, `${slot.path} names no day: the window would never open`);
  return ok ? [...days].sort() : undefined;
}

function readHours(c: Checker, slot: Slot): { start: number; end: number }[] | undefined {
  const items = readStringItems(c, slot);
  if (items === undefined) return undefined;
  const out: { start: number; end: number }[] = [];
  let ok = true;
  for (const { text, slot: at } of items) {
    const m = HOURS.exec(text.trim());
    const [h1, m1, h2, m2] = (m?.slice(1) ?? []).map(Number) as [number, number, number, number];
    const start = h1 * 60 + m1;
    const end = h2 * 60 + m2;
    if (!m || h1 > 23 || m1 > 59 || m2 > 59 || end > 24 * 60) {
      bad(
        c,
        at,
        `"${text}" is not a range of hours: use "HH:MM-HH:MM" in 24-hour time, like "09:00-17:00" (end may be 24:00)`,
      );
      ok = false;
    } else if (end <= start) {
      bad(
        c,
        at,
        `"${text}" ends before it starts; a range lies within one day: for a night window give "22:00-24:00" and "00:00-06:00" (and the days each part falls on)`,
      );
      ok = false;
    } else out.push({ start, end });
  }
  return ok ? out.sort((x, y) => x.start - y.start) : undefined;
}

export function readWindow(c: Checker, slot: Slot): DeployWindow | undefined {
  const map = readMap(c, slot);
  if (map === undefined) return undefined;
  map.allowOnly(WINDOW_KEYS);
  const zoneSlot = map.require("timezone", ' (an IANA time zone such as "Europe/Berlin", or "UTC")');
  let timezone = zoneSlot && readString(c, zoneSlot, { nonEmpty: true });
  if (zoneSlot && timezone !== undefined && !isTimeZone(timezone)) {
    bad(
      c,
      zoneSlot,
      `"${timezone}" is not a time zone this runtime knows: use an IANA name such as "Europe/Berlin", "America/New_York" or "UTC"`,
    );
    timezone = undefined;
  }
  const daysSlot = map.get("days");
  const days = daysSlot ? readDays(c, daysSlot) : [0, 1, 2, 3, 4, 5, 6];
  const hoursSlot = map.get("hours");
  const hours = hoursSlot ? readHours(c, hoursSlot) : [{ start: 0, end: 24 * 60 }];
  const outsideSlot = map.get("outside");
  const outside = outsideSlot ? readEnum(c, outsideSlot, ["wait", "refuse"] as const) : "wait";
  if (!timezone || !days || !hours || !outside) return undefined;
  return { timezone, days, hours, outside };
}
