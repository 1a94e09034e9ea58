import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { parseWebhook, type WebhookResult } from "../../../webhooks/index.js";
import { fixture, giteaHeaders, githubHeaders, gitlabHeaders, hmacHex, SECRET } from "./helpers.js";

/** Realistic deliveries from each forge, signed for real, and what they must turn into. */

const repo = { name: "go-auth", secret: SECRET };

function event(result: WebhookResult) {
  if (!result.ok) throw new Error(`expected an event, got ${result.code}: ${result.message}`);
  return result.event;
}

describe("GitHub", () => {
  it("turns a branch push into a push event", () => {
    const body = fixture("github-push");
    const e = event(parseWebhook({ headers: githubHeaders("push", body), rawBody: body }, repo));
    expect(e).toEqual({
      kind: "push",
      ref: "refs/heads/develop",
      sha: "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c",
      before: "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
      deliveryId: "72d3162e-cc78-11e3-81ab-4c9367dc0958",
      forge: "github",
      authenticated: true,
      actor: "octocat",
      repositoryUrl: "https://github.com/acme/go-auth.git",
    });
  });

  it("turns a tag push into a tag event, lower-casing the sha and dropping an all-zero before", () => {
    const body = fixture("github-tag-push");
    const e = event(parseWebhook({ headers: githubHeaders("push", body), rawBody: body }, repo));
    expect(e).toMatchObject({ kind: "tag", ref: "refs/tags/v1.4.0", sha: "a8c2b3d4e5f60718293a4b5c6d7e8f9012345678" });
    expect(e).not.toHaveProperty("before");
  });

  it("turns a push that deleted the branch into a delete event without a sha", () => {
    const body = fixture("github-branch-deleted");
    const e = event(parseWebhook({ headers: githubHeaders("push", body), rawBody: body }, repo));
    expect(e).toMatchObject({ kind: "delete", ref: "refs/heads/feature/login-form" });
    expect(e).not.toHaveProperty("sha");
  });

  it("answers ping", () => {
    const body = fixture("github-ping");
    const e = event(parseWebhook({ headers: githubHeaders("ping", body), rawBody: body }, repo));
    expect(e).toMatchObject({ kind: "ping", forge: "github", repositoryUrl: "https://github.com/acme/go-auth.git" });
  });

  it("turns create (tag) into a tag event without a sha, and delete (branch) into delete", () => {
    const created = fixture("github-create-tag");
    expect(event(parseWebhook({ headers: githubHeaders("create", created), rawBody: created }, repo))).toMatchObject({
      kind: "tag",
      ref: "refs/tags/v1.4.0",
      actor: "release-bot",
    });
    const deleted = fixture("github-delete-branch");
    const e = event(parseWebhook({ headers: githubHeaders("delete", deleted), rawBody: deleted }, repo));
    expect(e).toMatchObject({ kind: "delete", ref: "refs/heads/feature/login-form" });
  });

  it("accepts a form-encoded delivery, whose signature covers the encoded bytes", () => {
    const json = fixture("github-push").toString("utf8");
    const body = Buffer.from(`payload=${encodeURIComponent(json)}`);
    const headers = { ...githubHeaders("push", body), "content-type": "application/x-www-form-urlencoded" };
    expect(event(parseWebhook({ headers, rawBody: body }, repo))).toMatchObject({ kind: "push" });
  });

  it("finds headers whatever their case, and takes the first of repeated values", () => {
    const body = fixture("github-push");
    const headers = Object.fromEntries(
      Object.entries(githubHeaders("push", body)).map(([k, v]) => [
        k.toUpperCase(),
        k === "x-github-event" ? [v, "x"] : v,
      ]),
    );
    expect(event(parseWebhook({ headers, rawBody: body }, repo)).kind).toBe("push");
  });
});

describe("Gitea", () => {
  it("turns a push into a push event, attributed to Gitea despite its X-GitHub-Event header", () => {
    const body = fixture("gitea-push");
    const e = event(parseWebhook({ headers: giteaHeaders("push", body), rawBody: body }, repo));
    expect(e).toEqual({
      kind: "push",
      ref: "refs/heads/feature/rate-limit",
      sha: "bffeb74224043ba2feb48d137756c8a9331c449a",
      before: "28e1879d029cb852e4844d9c718537df08844e03",
      deliveryId: "f6266f16-1bf3-46a5-9ea4-602e06ead473",
      forge: "gitea",
      authenticated: true,
      actor: "ada",
      repositoryUrl: "https://gitea.acme.test/acme/messenger.git",
    });
  });

  it("handles tag pushes, deletions by all-zero after, and create events with their sha", () => {
    const tag = fixture("gitea-tag-push");
    expect(event(parseWebhook({ headers: giteaHeaders("push", tag), rawBody: tag }, repo))).toMatchObject({
      kind: "tag",
      ref: "refs/tags/v2.0.0-rc.1",
      sha: "c5b97d5ae6c19d5c5df71a34c7fbeeda2479ccbc",
    });
    const gone = fixture("gitea-branch-deleted");
    expect(event(parseWebhook({ headers: giteaHeaders("push", gone), rawBody: gone }, repo))).toMatchObject({
      kind: "delete",
      ref: "refs/heads/hotfix/2.0.1",
      before: "c5b97d5ae6c19d5c5df71a34c7fbeeda2479ccbc",
    });
    const created = fixture("gitea-create-tag");
    expect(event(parseWebhook({ headers: giteaHeaders("create", created), rawBody: created }, repo))).toMatchObject({
      kind: "tag",
      sha: "c5b97d5ae6c19d5c5df71a34c7fbeeda2479ccbc",
    });
  });

  it("accepts X-Hub-Signature-256 alone, as well as X-Gitea-Signature alone", () => {
    const body = fixture("gitea-push");
    const { "x-gitea-signature": _, ...rest } = giteaHeaders("push", body);
    const headers = { ...rest, "x-hub-signature-256": `sha256=${hmacHex(SECRET, body)}` };
    expect(parseWebhook({ headers, rawBody: body }, repo).ok).toBe(true);
    expect(parseWebhook({ headers: giteaHeaders("push", body), rawBody: body }, repo).ok).toBe(true);
  });
});

describe("GitLab", () => {
  it("turns a Push Hook into a push event", () => {
    const body = fixture("gitlab-push");
    const e = event(parseWebhook({ headers: gitlabHeaders("Push Hook"), rawBody: body }, repo));
    expect(e).toEqual({
      kind: "push",
      ref: "refs/heads/release/3.1",
      sha: "da1560886d4f094c3e6c9ef40349f7d38b5d27d7",
      before: "95790bf891e76fee5e1747ab589903a6a1f80f22",
      deliveryId: "13792a34-cac6-4fda-95a8-c58e00a3954e",
      forge: "gitlab",
      authenticated: true,
      actor: "jsmith",
      repositoryUrl: "https://gitlab.acme.test/finance/billing.git",
    });
  });

  it("turns a Tag Push Hook into a tag event and a branch deletion into delete", () => {
    const tag = fixture("gitlab-tag-push");
    expect(event(parseWebhook({ headers: gitlabHeaders("Tag Push Hook"), rawBody: tag }, repo))).toMatchObject({
      kind: "tag",
      ref: "refs/tags/v3.1.0",
      sha: "82b3d5ae55f7080f1e6022629cdb57bfae7cccc7",
      actor: "root",
    });
    const gone = fixture("gitlab-branch-deleted");
    expect(event(parseWebhook({ headers: gitlabHeaders("Push Hook"), rawBody: gone }, repo))).toMatchObject({
      kind: "delete",
      ref: "refs/heads/feature/vat-rounding",
    });
  });
});

describe("plain JSON form", () => {
  const plain = (body: object, headers: Record<string, string> = { authorization: `Bearer ${SECRET}` }) => {
    const rawBody = Buffer.from(JSON.stringify(body));
    return parseWebhook({ headers: { "content-type": "application/json", ...headers }, rawBody }, repo);
  };

  it("takes a bare branch name, a full branch ref or a tag ref", () => {
    expect(event(plain({ ref: "develop" }))).toMatchObject({ kind: "push", ref: "refs/heads/develop", forge: "plain" });
    expect(event(plain({ ref: "refs/heads/feature/x" }))).toMatchObject({ kind: "push", ref: "refs/heads/feature/x" });
    expect(event(plain({ ref: "refs/tags/v1.2" }))).toMatchObject({ kind: "tag", ref: "refs/tags/v1.2" });
  });

  it("keeps an optional sha and treats an all-zero sha as a deletion", () => {
    const sha = "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c";
    expect(event(plain({ ref: "develop", sha }))).toMatchObject({ sha });
    expect(event(plain({ ref: "develop" }))).not.toHaveProperty("sha");
    expect(event(plain({ ref: "develop", sha: "0".repeat(40) })).kind).toBe("delete");
  });

  it("accepts an X-Slipway-Signature HMAC instead of a bearer token", () => {
    const rawBody = Buffer.from('{"ref":"main"}');
    const headers = { "x-slipway-signature": `sha256=${hmacHex(SECRET, rawBody)}` };
    expect(event(parseWebhook({ headers, rawBody }, repo))).toMatchObject({
      ref: "refs/heads/main",
      authenticated: true,
    });
  });

  it("uses X-Request-Id as delivery id, else the body's SHA-256", () => {
    expect(
      event(plain({ ref: "develop" }, { authorization: `Bearer ${SECRET}`, "x-request-id": "req-42" })).deliveryId,
    ).toBe("req-42");
    const rawBody = Buffer.from('{"ref":"develop"}');
    const e = event(parseWebhook({ headers: {}, rawBody }, { name: "open" }));
    expect(e.deliveryId).toBe(`sha256:${createHash("sha256").update(rawBody).digest("hex")}`);
    expect(e.authenticated).toBe(false);
  });
});
