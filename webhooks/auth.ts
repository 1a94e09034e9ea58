import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { type HookRejection, reject } from "./errors.js";
import type { Headers } from "./headers.js";
import type { Forge } from "./types.js";

/**
 * Proof that the sender knows the repository's webhook secret, in each forge's own way:
 * GitHub and Gitea sign the raw body with HMAC-SHA256, GitLab echoes the secret as a token,
 * the plain form does either. Every comparison is constant-time, and checked before the body
 * is parsed, so unauthenticated input never reaches the JSON parser.
 */

const HEX_DIGEST = /^[0-9a-f]{64}$/i;

/** Constant-time equality of a hex digest from a header with the expected HMAC. */
function hmacMatches(secret: string, body: Buffer, hex: string): boolean {
  // A malformed or wrong-length value cannot match; checking the form first also keeps
  // `timingSafeEqual` from throwing on buffers of different lengths.
  if (!HEX_DIGEST.test(hex)) return false;
  const expected = createHmac("sha256", secret).update(body).digest();
  return timingSafeEqual(expected, Buffer.from(hex, "hex"));
}

/**
 * Constant-time equality of two strings of any length: both are hashed first, so neither
 * the lengths nor the position of the first difference show in the timing.
 */
export function tokenMatches(secret: string, token: string): boolean {
  const a = createHash("sha256").update(secret).digest();
  const b = createHash("sha256").update(token).digest();
  return timingSafeEqual(a, b);
}

/** `sha256=<hex>` → `<hex>`, or undefined for any other form (e.g. GitHub's SHA-1 `sha1=`). */
function prefixed(value: string | undefined): string | undefined {
  const match = value === undefined ? null : /^sha256=(.*)$/i.exec(value.trim());
  return match ? (match[1] ?? "") : undefined;
}

export function authenticate(forge: Forge, headers: Headers, body: Buffer, secret: string): HookRejection | undefined {
  const failed = (what: string) =>
    reject("SLIPWAY_E_HOOK_AUTH_FAILED", `${what} does not match the webhook secret of this repository`);
  const missing = (what: string) =>
    reject("SLIPWAY_E_HOOK_AUTH_MISSING", `this repository has a webhook secret; the request needs ${what}`);

  if (forge === "gitlab") {
    const token = headers.get("x-gitlab-token");
    if (token === undefined) return missing("an X-Gitlab-Token header (set the hook's Secret token)");
    return tokenMatches(secret, token) ? undefined : failed("X-Gitlab-Token");
  }
  if (forge === "plain") {
    const auth = headers.get("authorization");
    const bearer = auth === undefined ? undefined : /^Bearer\s+(.+)$/i.exec(auth.trim())?.[1];
    if (bearer !== undefined) return tokenMatches(secret, bearer) ? undefined : failed("the bearer token");
    const signature = headers.get("x-slipway-signature");
    if (signature !== undefined) {
      return hmacMatches(secret, body, prefixed(signature) ?? "") ? undefined : failed("X-Slipway-Signature");
    }
    return missing("Authorization: Bearer <secret> or X-Slipway-Signature: sha256=<hmac>");
  }
  // Gitea signs with X-Gitea-Signature (bare hex; X-Gogs-Signature on older versions), and
  // recent versions also send GitHub's header. Either alone is accepted; when both come,
  // both must match, so a forged header cannot ride along with a genuine one.
  const candidates: [string, string][] = [];
  const hub = headers.get("x-hub-signature-256");
  if (hub !== undefined) candidates.push(["X-Hub-Signature-256", prefixed(hub) ?? ""]);
  if (forge === "gitea") {
    for (const name of ["X-Gitea-Signature", "X-Gogs-Signature"]) {
      const value = headers.get(name.toLowerCase());
      if (value !== undefined) candidates.push([name, value.trim()]);
    }
  }
  if (candidates.length === 0) {
    const sha1Only = headers.get("x-hub-signature") !== undefined;
    return missing(
      forge === "gitea"
        ? "an X-Gitea-Signature header (set the hook's Secret)"
        : `an X-Hub-Signature-256 header (set the hook's Secret)${sha1Only ? "; the SHA-1 X-Hub-Signature is not accepted" : ""}`,
    );
  }
  for (const [name, hex] of candidates) {
    if (!hmacMatches(secret, body, hex)) return failed(name);
  }
  return undefined;
}
