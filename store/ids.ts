import { createHash, randomBytes } from "node:crypto";

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
export const ULID_PATTERN = /^[0-9A-HJKMNP-TV-Z]{26}$/;

let lastTime = -1;
let lastRandom: number[] = [];

/**
 * A ULID: 10 characters of millisecond time then 16 of randomness, Crockford base32. Ids sort
 * by creation time, which makes them the keyset for "newest first" listings; within one
 * millisecond the random part is incremented so ids from one process still sort by creation.
 */
export function newUlid(now: number = Date.now()): string {
  if (now <= lastTime) {
    incrementRandom();
  } else {
    lastTime = now;
    lastRandom = [...randomBytes(16)].map((b) => b & 31);
  }
  let time = "";
  for (let t = lastTime, i = 0; i < 10; i++, t = Math.floor(t / 32)) time = CROCKFORD[t % 32] + time;
  return time + lastRandom.map((d) => CROCKFORD[d]).join("");
}

function incrementRandom(): void {
  for (let i = lastRandom.length - 1; i >= 0; i--) {
    const next = (lastRandom[i] ?? 0) + 1;
    if (next < 32) {
      lastRandom[i] = next;
      return;
    }
    lastRandom[i] = 0;
  }
  // 80 bits overflowed within one millisecond: move to the next millisecond instead.
  lastTime += 1;
}

/** Prefix that makes a leaked token recognisable to secret scanners and people. */
export const TOKEN_PREFIX = "slw_";

/** 256 random bits, base64url, behind the prefix. */
export function newApiToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString("base64url");
}

/**
 * Tokens are high-entropy, so a plain SHA-256 (no salt, no slow hash) is enough to make the
 * stored value useless to a reader of the database, and it lets verification be an indexed
 * equality lookup rather than a scan with per-row comparisons.
 */
export function hashApiToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}
