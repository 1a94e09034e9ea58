import { describe, expect, it } from "vitest";
import { HOOK_ERROR_CODES, type HookErrorCode, parseWebhook, type WebhookResult } from "../../../webhooks/index.js";
import { fixture, giteaHeaders, githubHeaders, gitlabHeaders, hmacHex, SECRET } from "./helpers.js";

/** Every way a delivery is refused: the status and the code, never only the message. */

const repo = { name: "go-auth", secret: SECRET };

function expectRejected(result: WebhookResult, code: HookErrorCode, status?: number): string {
  if (result.ok) throw new Error(`expected ${code}, got a ${result.event.kind} event`);
  expect(result.code).toBe(code);
  expect(result.status).toBe(status ?? HOOK_ERROR_CODES[code].status);
  expect(result.message.length).toBeGreaterThan(10);
  return result.message;
}

const plain = (rawBody: Buffer | string, extra: Record<string, string> = {}) =>
  parseWebhook({ headers: { authorization: `Bearer ${SECRET}`, ...extra }, rawBody: Buffer.from(rawBody) }, repo);

describe("authentication", () => {
  const body = fixture("github-push");

  it("refuses a GitHub delivery without a signature when a secret is configured (401)", () => {
    const { "x-hub-signature-256": _, ...headers } = githubHeaders("push", body);
    expectRejected(parseWebhook({ headers, rawBody: body }, repo), "SLIPWAY_E_HOOK_AUTH_MISSING", 401);
  });

  it("says so when only the SHA-1 signature came", () => {
    const { "x-hub-signature-256": _, ...rest } = githubHeaders("push", body);
    const headers = { ...rest, "x-hub-signature": "sha1=0123456789abcdef0123456789abcdef01234567" };
    const message = expectRejected(parseWebhook({ headers, rawBody: body }, repo), "SLIPWAY_E_HOOK_AUTH_MISSING");
    expect(message).toContain("SHA-1");
  });

  it("refuses a signature made with another secret (401)", () => {
    const headers = githubHeaders("push", body, "not-the-secret");
    expectRejected(parseWebhook({ headers, rawBody: body }, repo), "SLIPWAY_E_HOOK_AUTH_FAILED", 401);
  });

  it("refuses a body changed after signing", () => {
    const headers = githubHeaders("push", body);
    const tampered = Buffer.from(body.toString("utf8").replace("develop", "master"));
    expectRejected(parseWebhook({ headers, rawBody: tampered }, repo), "SLIPWAY_E_HOOK_AUTH_FAILED");
  });

  it.each([
    ["a truncated digest", `sha256=${"ab".repeat(16)}`],
    ["an over-long digest", `sha256=${"ab".repeat(40)}`],
    ["non-hex characters", `sha256=${"zz".repeat(32)}`],
    ["no sha256= prefix", "ab".repeat(32)],
    ["an empty value", ""],
  ])("refuses a malformed signature (%s) without throwing", (_, signature) => {
    const headers = { ...githubHeaders("push", body), "x-hub-signature-256": signature };
    expectRejected(parseWebhook({ headers, rawBody: body }, repo), "SLIPWAY_E_HOOK_AUTH_FAILED");
  });

  it("refuses a wrong Gitea signature, and a forged X-Hub-Signature-256 next to a genuine one", () => {
    const gitea = fixture("gitea-push");
    const wrong = giteaHeaders("push", gitea, "other");
    expectRejected(parseWebhook({ headers: wrong, rawBody: gitea }, repo), "SLIPWAY_E_HOOK_AUTH_FAILED");
    const mixed = { ...giteaHeaders("push", gitea), "x-hub-signature-256": `sha256=${hmacHex("other", gitea)}` };
    expectRejected(parseWebhook({ headers: mixed, rawBody: gitea }, repo), "SLIPWAY_E_HOOK_AUTH_FAILED");
    const { "x-gitea-signature": _, ...none } = giteaHeaders("push", gitea);
    expectRejected(parseWebhook({ headers: none, rawBody: gitea }, repo), "SLIPWAY_E_HOOK_AUTH_MISSING");
  });

  it("refuses a wrong GitLab token, whatever its length, and a missing one", () => {
    const gitlab = fixture("gitlab-push");
    for (const token of ["x", `${SECRET}x`, SECRET.toUpperCase(), "a".repeat(500)]) {
      expectRejected(
        parseWebhook({ headers: gitlabHeaders("Push Hook", token), rawBody: gitlab }, repo),
        "SLIPWAY_E_HOOK_AUTH_FAILED",
      );
    }
    const { "x-gitlab-token": _, ...headers } = gitlabHeaders("Push Hook");
    expectRejected(parseWebhook({ headers, rawBody: gitlab }, repo), "SLIPWAY_E_HOOK_AUTH_MISSING");
  });

  it("refuses the plain form with a wrong bearer token, a bad HMAC or neither", () => {
    const ref = '{"ref":"develop"}';
    expectRejected(plain(ref, { authorization: "Bearer short" }), "SLIPWAY_E_HOOK_AUTH_FAILED");
    const signed = { authorization: "", "x-slipway-signature": `sha256=${hmacHex("other", Buffer.from(ref))}` };
    expectRejected(plain(ref, signed), "SLIPWAY_E_HOOK_AUTH_FAILED");
    expectRejected(parseWebhook({ headers: {}, rawBody: Buffer.from(ref) }, repo), "SLIPWAY_E_HOOK_AUTH_MISSING");
  });

  it("checks the secret before parsing, so garbage without a signature is a 401, not a 400", () => {
    expectRejected(
      parseWebhook({ headers: {}, rawBody: Buffer.from("{not json") }, repo),
      "SLIPWAY_E_HOOK_AUTH_MISSING",
    );
  });

  it("throws on an empty configured secret: that is a configuration bug, not bad input", () => {
    expect(() => parseWebhook({ headers: {}, rawBody: Buffer.from("{}") }, { name: "x", secret: "" })).toThrow(
      TypeError,
    );
  });
});

describe("size", () => {
  it("refuses a body over maxBytes with 413 before checking anything else", () => {
    const big = Buffer.alloc(1024 * 1024 + 1, 0x20);
    expectRejected(parseWebhook({ headers: {}, rawBody: big }, repo), "SLIPWAY_E_HOOK_TOO_LARGE", 413);
    const body = fixture("github-push");
    const result = parseWebhook({ headers: githubHeaders("push", body), rawBody: body }, repo, { maxBytes: 100 });
    expectRejected(result, "SLIPWAY_E_HOOK_TOO_LARGE");
    expect(
      parseWebhook({ headers: githubHeaders("push", body), rawBody: body }, repo, { maxBytes: body.length }).ok,
    ).toBe(true);
  });
});

describe("payloads", () => {
  it.each([
    ["malformed JSON", '{"ref": ', "SLIPWAY_E_HOOK_MALFORMED_JSON"],
    ["an empty body", "", "SLIPWAY_E_HOOK_MALFORMED_JSON"],
    ["an array", '["develop"]', "SLIPWAY_E_HOOK_NOT_AN_OBJECT"],
    ["a string", '"develop"', "SLIPWAY_E_HOOK_NOT_AN_OBJECT"],
    ["null", "null", "SLIPWAY_E_HOOK_NOT_AN_OBJECT"],
    ["no ref", '{"sha":"0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c"}', "SLIPWAY_E_HOOK_MISSING_REF"],
    ["an empty ref", '{"ref":""}', "SLIPWAY_E_HOOK_MISSING_REF"],
    ["a numeric ref", '{"ref":42}', "SLIPWAY_E_HOOK_MISSING_REF"],
    ["a short sha", '{"ref":"develop","sha":"0d1a26e"}', "SLIPWAY_E_HOOK_BAD_SHA"],
    ["a non-hex sha", `{"ref":"develop","sha":"${"g".repeat(40)}"}`, "SLIPWAY_E_HOOK_BAD_SHA"],
    ["a ref with ..", '{"ref":"feature/../../etc"}', "SLIPWAY_E_HOOK_BAD_REF"],
    ["a ref looking like an option", '{"ref":"--upload-pack=evil"}', "SLIPWAY_E_HOOK_BAD_REF"],
    ["a ref with a space", '{"ref":"feature/a b"}', "SLIPWAY_E_HOOK_BAD_REF"],
    ["a ref ending in .lock", '{"ref":"refs/heads/x.lock"}', "SLIPWAY_E_HOOK_BAD_REF"],
    ["a pull-request ref", '{"ref":"refs/pull/12/head"}', "SLIPWAY_E_HOOK_UNSUPPORTED_REF"],
    ["an unknown key", '{"ref":"develop","branch":"develop"}', "SLIPWAY_E_HOOK_UNKNOWN_FIELD"],
  ] as const)("refuses %s in the plain form", (_, body, code) => {
    expectRejected(plain(body), code);
  });

  it("hints at a missing event header when a forge payload comes without one", () => {
    const message = expectRejected(plain(fixture("github-push")), "SLIPWAY_E_HOOK_UNKNOWN_FIELD");
    expect(message).toContain("X-GitHub-Event");
  });

  it("refuses a forge push with a bad after or before, or no ref", () => {
    const sign = (obj: object) => {
      const body = Buffer.from(JSON.stringify(obj));
      return parseWebhook({ headers: githubHeaders("push", body), rawBody: body }, repo);
    };
    const good = JSON.parse(fixture("github-push").toString("utf8"));
    expectRejected(sign({ ...good, after: "HEAD" }), "SLIPWAY_E_HOOK_BAD_SHA");
    expectRejected(sign({ ...good, before: 12 }), "SLIPWAY_E_HOOK_BAD_SHA");
    expectRejected(sign({ ...good, ref: undefined }), "SLIPWAY_E_HOOK_MISSING_REF");
    expectRejected(sign({ ...good, ref: "develop" }), "SLIPWAY_E_HOOK_BAD_REF");
    expectRejected(sign({ ...good, ref: "refs/notes/commits" }), "SLIPWAY_E_HOOK_UNSUPPORTED_REF");
  });

  it("refuses create/delete without ref_type or with an unknown one", () => {
    const sign = (obj: object) => {
      const body = Buffer.from(JSON.stringify(obj));
      return parseWebhook({ headers: githubHeaders("create", body), rawBody: body }, repo);
    };
    expectRejected(sign({ ref: "v1" }), "SLIPWAY_E_HOOK_MISSING_REF");
    expectRejected(sign({ ref: "v1", ref_type: "repository" }), "SLIPWAY_E_HOOK_UNSUPPORTED_REF");
  });
});

describe("event types", () => {
  it.each([
    ["github", (b: Buffer) => githubHeaders("pull_request", b)],
    ["github issues", (b: Buffer) => githubHeaders("issues", b)],
    ["gitea", (b: Buffer) => giteaHeaders("release", b)],
    ["gitlab", () => gitlabHeaders("Merge Request Hook")],
    ["gitlab system hook", () => gitlabHeaders("System Hook")],
  ])("refuses an unsupported %s event with 422", (_, headers) => {
    const body = fixture("github-push");
    const message = expectRejected(
      parseWebhook({ headers: headers(body), rawBody: body }, repo),
      "SLIPWAY_E_HOOK_UNSUPPORTED_EVENT",
      422,
    );
    expect(message).toMatch(/send only/);
  });

  it("has no ping for Gitea: its test delivery is a push", () => {
    const body = fixture("github-ping");
    expectRejected(
      parseWebhook({ headers: giteaHeaders("ping", body), rawBody: body }, repo),
      "SLIPWAY_E_HOOK_UNSUPPORTED_EVENT",
    );
  });
});
