import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * Signatures of outbound webhooks, the way Stripe and GitHub sign theirs: an HMAC-SHA256 with
 * the webhook's `secret` over `<timestamp>.<raw body>`. The timestamp is inside the signed
 * text, so a captured request cannot be replayed later with a fresh timestamp; receivers
 * refuse timestamps older than a tolerance (5 minutes by default).
 */

export const SIGNATURE_HEADER = "x-slipway-signature";
export const TIMESTAMP_HEADER = "x-slipway-timestamp";
/** How far a receiver should accept a timestamp from its own clock, by default. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

/** `sha256=<hex>` for the body sent at `timestamp` (Unix seconds). */
export function signBody(secret: string, timestamp: number, body: string): string {
  const mac = createHmac("sha256", secret).update(`${timestamp}.`).update(body, "utf8").digest("hex");
  return `sha256=${mac}`;
}

export type Verification = { ok: true } | { ok: false; reason: "malformed" | "expired" | "mismatch" };

/** What a receiver does (docs/notifications.md shows the same in a few lines of Node). */
export function verifySignature(opts: {
  secret: string;
  body: string;
  signature: string | undefined;
  timestamp: string | undefined;
  nowSeconds?: number;
  toleranceSeconds?: number;
}): Verification {
  const { signature, timestamp } = opts;
  if (!signature || !timestamp || !/^\d{1,12}$/.test(timestamp) || !/^sha256=[0-9a-f]{64}$/.test(signature)) {
    return { ok: false, reason: "malformed" };
  }
  const now = opts.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - Number(timestamp)) > (opts.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS)) {
    return { ok: false, reason: "expired" };
  }
  const expected = Buffer.from(signBody(opts.secret, Number(timestamp), opts.body));
  // Constant time: an early exit would tell an attacker how many leading characters were right.
  return timingSafeEqual(expected, Buffer.from(signature)) ? { ok: true } : { ok: false, reason: "mismatch" };
}
