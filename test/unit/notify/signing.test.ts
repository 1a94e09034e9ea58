import { describe, expect, it } from "vitest";
import { signBody, verifySignature } from "../../../runner/notify/index.js";

const secret = "whsec-test-0123456789";
const body = '{"id":"e1","event":"run.failed"}';

describe("webhook signatures", () => {
  it("is HMAC-SHA256 over `<timestamp>.<body>` (vector from openssl dgst -sha256 -hmac)", () => {
    // printf '%s' '1700000000.{"id":"e1","event":"run.failed"}' | openssl dgst -sha256 -hmac 'whsec-test-0123456789'
    expect(signBody(secret, 1_700_000_000, body)).toBe(
      "sha256=1818e7fe4b2fa5853b0f0588a7f9d3549ec01f2a38886772a7ceb32da7888435",
    );
  });

  it("verifies its own signature and refuses tampering, other secrets, replays and junk", () => {
    const signature = signBody(secret, 1_700_000_000, body);
    const check = (over: Partial<Parameters<typeof verifySignature>[0]>) =>
      verifySignature({ secret, body, signature, timestamp: "1700000000", nowSeconds: 1_700_000_060, ...over });
    expect(check({})).toEqual({ ok: true });
    expect(check({ body: body.replace("failed", "succeeded") })).toEqual({ ok: false, reason: "mismatch" });
    expect(check({ secret: "another-secret" })).toEqual({ ok: false, reason: "mismatch" });
    // The same signature with a new timestamp: the timestamp is signed, so it does not verify.
    expect(check({ timestamp: "1700000050" })).toEqual({ ok: false, reason: "mismatch" });
    // Captured and replayed an hour later.
    expect(check({ nowSeconds: 1_700_003_600 })).toEqual({ ok: false, reason: "expired" });
    expect(check({ nowSeconds: 1_700_003_600, toleranceSeconds: 7200 })).toEqual({ ok: true });
    expect(check({ signature: undefined })).toEqual({ ok: false, reason: "malformed" });
    expect(check({ signature: signature.replace("sha256=", "sha1=") })).toEqual({ ok: false, reason: "malformed" });
    expect(check({ timestamp: "17e8" })).toEqual({ ok: false, reason: "malformed" });
  });
});
