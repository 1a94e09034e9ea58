/**
 * The one duration grammar of Slipway (pipeline file, compose deploy keys, daemon
 * configuration): a number of seconds (`90`, `1.5`, or `"90"` as a string) or a string of
 * day/hour/minute/second/millisecond parts in that order (`"90s"`, `"5m"`, `"1h30m"`,
 * `"250ms"`, `"30d"`). Go-style strings because compose files and docker CLI flags use the
 * same form, so values can be copied between them. Where a bare number is ambiguous (the
 * configuration's retention: seconds or days?), the caller passes `requireUnit`.
 */

const UNIT_SECONDS: Record<string, number> = { d: 86400, h: 3600, m: 60, s: 1, ms: 0.001 };
const UNIT_ORDER = ["d", "h", "m", "s", "ms"];
const PART = /(\d+(?:\.\d+)?)(ms|d|h|m|s)/y;

export interface DurationOptions {
  /** Refuse a bare number (`90`, `"90"`): every value must name its unit. */
  requireUnit?: boolean;
}

export type DurationResult = { ok: true; seconds: number } | { ok: false; reason: string };

/** Parses a duration string or number to seconds; never throws. */
export function parseDuration(value: string | number, opts: DurationOptions = {}): DurationResult {
  const bare = typeof value === "number" || /^\s*\d+(?:\.\d+)?\s*$/.test(value);
  if (opts.requireUnit && bare) {
    return { ok: false, reason: `a bare number (${String(value).trim()}) has no unit` };
  }
  if (typeof value === "number") {
    if (!Number.isFinite(value) || value < 0) {
      return { ok: false, reason: "a number of seconds must be finite and not negative" };
    }
    return { ok: true, seconds: value };
  }
  const text = value.trim();
  if (text === "") return { ok: false, reason: "the string is empty" };
  // A bare number in a string ("90") means seconds, like the unquoted form.
  if (/^\d+(?:\.\d+)?$/.test(text)) return { ok: true, seconds: Number(text) };
  let seconds = 0;
  let lastUnit = -1;
  PART.lastIndex = 0;
  while (PART.lastIndex < text.length) {
    const start = PART.lastIndex;
    const match = PART.exec(text);
    if (match === null) {
      return { ok: false, reason: `unexpected "${text.slice(start)}"` };
    }
    const unit = match[2] ?? "s";
    const order = UNIT_ORDER.indexOf(unit);
    // "30s1m" is almost certainly a typo; refusing it keeps every value unambiguous.
    if (order <= lastUnit) return { ok: false, reason: "units must go from days to milliseconds, each at most once" };
    lastUnit = order;
    seconds += Number(match[1]) * (UNIT_SECONDS[unit] ?? 1);
  }
  return { ok: true, seconds };
}

/** `90` → `"1m30s"`; the inverse of `parseDuration` for whole seconds, used in messages. */
export function formatDuration(seconds: number): string {
  if (seconds === 0) return "0s";
  if (!Number.isInteger(seconds)) return `${seconds}s`;
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return `${h ? `${h}h` : ""}${m ? `${m}m` : ""}${s ? `${s}s` : ""}`;
}
