/**
 * When a failed delivery is tried again: exponential backoff with "equal jitter". The n-th
 * retry waits between half and all of `backoff × 2^(n-1)` (capped at an hour), so retries of
 * many deliveries that failed together (a receiver that was down) spread out instead of
 * arriving in one burst, while no retry comes sooner than half its nominal delay.
 */

export const MAX_DELAY_MS = 3_600_000;

/**
 * Milliseconds to wait after `failedAttempts` attempts (≥ 1) have failed. `retryAfterSeconds`
 * (from a 429 or 503's `Retry-After`) is honoured when longer, up to the cap. `random` is
 * injectable so the schedule can be tested at its bounds.
 */
export function retryDelayMs(
  failedAttempts: number,
  backoffSeconds: number,
  opts: { random?: () => number; retryAfterSeconds?: number } = {},
): number {
  const nominal = Math.min(MAX_DELAY_MS, backoffSeconds * 1000 * 2 ** Math.max(0, failedAttempts - 1));
  const random = opts.random ?? Math.random;
  const jittered = nominal / 2 + random() * (nominal / 2);
  const asked = (opts.retryAfterSeconds ?? 0) * 1000;
  return Math.round(Math.min(MAX_DELAY_MS, Math.max(jittered, asked)));
}

/** The `[shortest, longest]` wait before each retry of a webhook: what docs/notifications.md tabulates. */
export function backoffSchedule(maxAttempts: number, backoffSeconds: number): [number, number][] {
  const waits: [number, number][] = [];
  for (let failed = 1; failed < maxAttempts; failed++) {
    waits.push([
      retryDelayMs(failed, backoffSeconds, { random: () => 0 }),
      retryDelayMs(failed, backoffSeconds, { random: () => 1 }),
    ]);
  }
  return waits;
}

/** `Retry-After` in seconds (delta form; an HTTP date is read too), or undefined. */
export function parseRetryAfter(value: string | string[] | undefined, nowMs = Date.now()): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined || text.trim() === "") return undefined;
  if (/^\s*\d+\s*$/.test(text)) return Number(text);
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.round((date - nowMs) / 1000));
}
