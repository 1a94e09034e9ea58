import { createHmac, randomUUID } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { DockerEngine, LABEL } from "../../../engine/index.js";
import type { RunRow } from "../../../store/index.js";
import { git, gitAsync } from "../../helpers/fixture-repo.js";
import {
  createOrigin,
  eventually,
  HOOK_SECRET,
  installPostReceive,
  startTestDaemon,
  type TestDaemon,
} from "../../helpers/serve.js";

const PIPELINE = [
  "name: hooks",
  "builders:",
  "  box: { image: busybox:latest }",
  "stages:",
  "  - name: build",
  "    builder: box",
  '    commands: ["echo building $SLIPWAY_REF_NAME at $SLIPWAY_SHORT_SHA"]',
  "",
].join("\n");

const ZERO = "0".repeat(40);

type Forge = "github" | "gitea" | "gitlab";

/** Headers the way each forge sends them, signed over `body` with `secret`. */
function forgeHeaders(
  forge: Forge,
  body: string,
  opts: { secret?: string; delivery?: string; tag?: boolean } = {},
): Record<string, string> {
  const secret = opts.secret ?? HOOK_SECRET;
  const delivery = opts.delivery ?? randomUUID();
  const hmac = createHmac("sha256", secret).update(body).digest("hex");
  const json = { "content-type": "application/json", "user-agent": `${forge}-hookshot/test` };
  if (forge === "github") {
    return {
      ...json,
      "x-github-event": "push",
      "x-github-delivery": delivery,
      "x-hub-signature-256": `sha256=${hmac}`,
    };
  }
  if (forge === "gitea") {
    // Gitea sends its own headers and GitHub's, for compatibility.
    return {
      ...json,
      "x-gitea-event": "push",
      "x-github-event": "push",
      "x-gitea-delivery": delivery,
      "x-gitea-signature": hmac,
      "x-hub-signature-256": `sha256=${hmac}`,
    };
  }
  return {
    ...json,
    "x-gitlab-event": opts.tag ? "Tag Push Hook" : "Push Hook",
    "x-gitlab-event-uuid": delivery,
    "x-gitlab-token": secret,
  };
}

/** A push payload shaped like the forge's (trimmed to realistic, not exhaustive, fields). */
function payload(forge: Forge, ref: string, before: string, after: string, url: string): string {
  if (forge === "gitlab") {
    return JSON.stringify({
      object_kind: ref.startsWith("refs/tags/") ? "tag_push" : "push",
      event_name: ref.startsWith("refs/tags/") ? "tag_push" : "push",
      before,
      after,
      ref,
      checkout_sha: after === ZERO ? null : after,
      user_name: "Fixture Person",
      user_username: "fixture",
      project: { name: "hooks", git_http_url: url, web_url: url },
      commits: after === ZERO ? [] : [{ id: after, message: "change\n" }],
      total_commits_count: after === ZERO ? 0 : 1,
    });
  }
  return JSON.stringify({
    ref,
    before,
    after,
    created: before === ZERO,
    deleted: after === ZERO,
    forced: false,
    compare: `${url}/compare`,
    commits: after === ZERO ? [] : [{ id: after, message: "change", distinct: true }],
    head_commit: after === ZERO ? null : { id: after, message: "change" },
    repository: { name: "hooks", full_name: "acme/hooks", clone_url: url, html_url: url },
    pusher: { name: "fixture", email: "fixture@example.test" },
    sender: { login: "fixture", username: "fixture" },
  });
}

describe("slipway serve: webhooks over HTTP (GitHub, Gitea, GitLab, plain)", () => {
  let origin: ReturnType<typeof createOrigin>;
  let daemon: TestDaemon;
  const engine = new DockerEngine();

  beforeAll(async () => {
    origin = createOrigin({ "slipway.yml": PIPELINE, VERSION: "1\n" });
    daemon = await startTestDaemon(
      [
        "repositories:",
        "  - name: hooks",
        `    url: ${origin.bare}`,
        "    webhook_secret: { env: HOOK_SECRET }",
        "",
      ].join("\n"),
    );
  });
  afterAll(async () => {
    await daemon?.stop();
    origin?.cleanup();
  });

  const hook = (headers: Record<string, string>, body: string | Buffer, repo = "hooks") =>
    fetch(`${daemon.url}/api/hooks/${repo}`, { method: "POST", headers, body }).then(async (res) => ({
      status: res.status,
      body: (await res.json()) as { run?: RunRow; duplicate?: boolean; ignored?: string; error?: string },
    }));

  const runsFor = async (sha: string) =>
    (await daemon.api<{ runs: RunRow[] }>("GET", "/api/runs?repository=hooks&limit=500")).body.runs.filter(
      (r) => r.sha === sha,
    );

  /** Commits a change on `branch` (created from develop if new) and pushes it; no hook in the origin. */
  async function pushCommit(branch: string, content: string): Promise<{ before: string; after: string }> {
    const exists = git(origin.work, "branch", "--list", branch) !== "";
    git(origin.work, "checkout", "-q", ...(exists ? [branch] : ["-b", branch, "develop"]));
    const before = exists ? git(origin.work, "rev-parse", "HEAD") : ZERO;
    writeFileSync(join(origin.work, "VERSION"), content);
    git(origin.work, "commit", "-qam", `change ${content.trim()}`);
    await gitAsync(origin.work, "push", "-q", "origin", branch);
    return { before, after: git(origin.work, "rev-parse", "HEAD") };
  }

  it.each([
    ["github", "develop", "develop"],
    ["gitea", "feature/gitea", "feature"],
    ["gitlab", "main", "main"],
  ] as const)("a signed %s push of %s → 201 and a successful run of that commit", async (forge, branch, kind) => {
    const { before, after } = await pushCommit(branch, `${forge}\n`);
    const body = payload(forge, `refs/heads/${branch}`, before, after, origin.bare);
    const res = await hook(forgeHeaders(forge, body), body);
    expect(res.status).toBe(201);
    expect(res.body.duplicate).toBe(false);
    const run = res.body.run as RunRow;
    expect(run).toMatchObject({ sha: after, ref: `refs/heads/${branch}`, flowKind: kind, trigger: "push" });
    expect(run.actor).toBe("fixture");
    const done = await daemon.waitForRun(run.id, 60_000);
    expect(done.run.status).toBe("success");
    const log = await daemon.api<string>("GET", `/api/runs/${run.id}/logs/build`);
    expect(log.body).toContain(`at ${after.slice(0, 8)}`);
    expect(await engine.listResources([`${LABEL.run}=${run.id}`])).toEqual([]);
  });

  it.each(["github", "gitlab"] as const)("a %s tag push (refs/tags/v1.x) → a run with flowKind tag", async (forge) => {
    const tag = forge === "github" ? "v1.0" : "v1.1";
    git(origin.work, "checkout", "-q", "main");
    git(origin.work, "tag", tag);
    await gitAsync(origin.work, "push", "-q", "origin", tag);
    const sha = git(origin.work, "rev-parse", "HEAD");
    const body = payload(forge, `refs/tags/${tag}`, ZERO, sha, origin.bare);
    const res = await hook(forgeHeaders(forge, body, { tag: true }), body);
    expect(res.status).toBe(201);
    expect(res.body.run).toMatchObject({ ref: `refs/tags/${tag}`, sha, flowKind: "tag" });
    expect((await daemon.waitForRun((res.body.run as RunRow).id, 60_000)).run.status).toBe("success");
  });

  it("the same delivery id twice → one run; the second answer is 200 with duplicate: true", async () => {
    const { before, after } = await pushCommit("develop", "dup\n");
    const body = payload("github", "refs/heads/develop", before, after, origin.bare);
    const delivery = randomUUID();
    const first = await hook(forgeHeaders("github", body, { delivery }), body);
    const second = await hook(forgeHeaders("github", body, { delivery }), body);
    expect(first.status).toBe(201);
    expect(second.status).toBe(200);
    expect(second.body.duplicate).toBe(true);
    expect(second.body.run?.id).toBe(first.body.run?.id);
    expect(await runsFor(after)).toHaveLength(1);
    await daemon.waitForRun((first.body.run as RunRow).id, 60_000);
  });

  it("GitHub's create (no commit id) and push for the same new branch → one run", async () => {
    git(origin.work, "checkout", "-q", "develop");
    git(origin.work, "checkout", "-qb", "feature/both-events");
    writeFileSync(join(origin.work, "VERSION"), "both\n");
    git(origin.work, "commit", "-qam", "both events");
    await gitAsync(origin.work, "push", "-q", "origin", "feature/both-events");
    const sha = git(origin.work, "rev-parse", "HEAD");
    const create = JSON.stringify({
      ref: "feature/both-events",
      ref_type: "branch",
      master_branch: "main",
      pusher_type: "user",
      repository: { clone_url: origin.bare },
      sender: { login: "fixture" },
    });
    const createHeaders = { ...forgeHeaders("github", create), "x-github-event": "create" };
    const push = payload("github", "refs/heads/feature/both-events", ZERO, sha, origin.bare);
    const first = await hook(createHeaders, create);
    const second = await hook(forgeHeaders("github", push), push);
    expect(first.status).toBe(201);
    expect(first.body.run?.sha).toBe(sha);
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ duplicate: true, run: { id: first.body.run?.id } });
    expect(await runsFor(sha)).toHaveLength(1);
    await daemon.waitForRun((first.body.run as RunRow).id, 60_000);
  });

  it("the plain form: the same X-Request-Id is one delivery, a fresh one triggers the commit again", async () => {
    const { after } = await pushCommit("develop", "plain\n");
    const body = JSON.stringify({ ref: "develop", sha: after });
    const headers = (id: string) => ({
      authorization: `Bearer ${HOOK_SECRET}`,
      "content-type": "application/json",
      "x-request-id": id,
    });
    const first = await hook(headers("req-1"), body);
    const again = await hook(headers("req-1"), body);
    const fresh = await hook(headers("req-2"), body);
    expect([first.status, again.status, fresh.status]).toEqual([201, 200, 201]);
    expect(again.body.run?.id).toBe(first.body.run?.id);
    expect(fresh.body.run?.id).not.toBe(first.body.run?.id);
    expect(await runsFor(after)).toHaveLength(2);
    for (const r of [first, fresh]) await daemon.waitForRun((r.body.run as RunRow).id, 60_000);
  });

  describe("refused or ignored deliveries start nothing", () => {
    let commit: { before: string; after: string };
    let body: string;
    beforeAll(async () => {
      commit = await pushCommit("develop", "refused\n");
      body = payload("github", "refs/heads/develop", commit.before, commit.after, origin.bare);
    });
    // Each refused request is checked on its own: had it been accepted, its commit would have a run.
    afterEach(async () => {
      expect(await runsFor(commit.after)).toEqual([]);
    });

    it("a wrong signature → 401 SLIPWAY_E_HOOK_AUTH_FAILED", async () => {
      const res = await hook(forgeHeaders("github", body, { secret: "not-the-secret" }), body);
      expect(res.status).toBe(401);
      expect(res.body.error).toBe("SLIPWAY_E_HOOK_AUTH_FAILED");
      // A genuine signature over a different body is just as wrong.
      const tampered = body.replace("fixture", "mallory");
      const res2 = await hook(forgeHeaders("github", body), tampered);
      expect(res2.status).toBe(401);
      const res3 = await hook(forgeHeaders("gitlab", body, { secret: "wrong" }), body);
      expect(res3.status).toBe(401);
      expect(res3.body.error).toBe("SLIPWAY_E_HOOK_AUTH_FAILED");
    });

    it("no signature → 401 SLIPWAY_E_HOOK_AUTH_MISSING (GitHub, GitLab and the plain form)", async () => {
      const unsigned = forgeHeaders("github", body);
      delete unsigned["x-hub-signature-256"];
      const res = await hook(unsigned, body);
      expect(res.status).toBe(401);
      expect(res.body.error).toBe("SLIPWAY_E_HOOK_AUTH_MISSING");
      const noToken = forgeHeaders("gitlab", body);
      delete noToken["x-gitlab-token"];
      expect((await hook(noToken, body)).status).toBe(401);
      const plain = JSON.stringify({ ref: "develop", sha: commit.after });
      const res3 = await hook({ "content-type": "application/json" }, plain);
      expect(res3.status).toBe(401);
      expect(res3.body.error).toBe("SLIPWAY_E_HOOK_AUTH_MISSING");
    });

    it("malformed JSON with a valid signature → 400 SLIPWAY_E_HOOK_MALFORMED_JSON", async () => {
      const broken = `${body.slice(0, -10)}`;
      const res = await hook(forgeHeaders("github", broken), broken);
      expect(res.status).toBe(400);
      expect(res.body.error).toBe("SLIPWAY_E_HOOK_MALFORMED_JSON");
    });

    it("a body over 1 MiB → 413 SLIPWAY_E_HOOK_TOO_LARGE", async () => {
      const huge = JSON.stringify({ ref: "refs/heads/develop", after: commit.after, padding: "x".repeat(1024 * 1024) });
      const res = await hook(forgeHeaders("github", huge), huge);
      expect(res.status).toBe(413);
      expect(res.body.error).toBe("SLIPWAY_E_HOOK_TOO_LARGE");
    });

    it("an unknown repository → 404 SLIPWAY_E_HOOK_UNKNOWN_REPOSITORY", async () => {
      const res = await hook(forgeHeaders("github", body), body, "nope");
      expect(res.status).toBe(404);
      expect(res.body.error).toBe("SLIPWAY_E_HOOK_UNKNOWN_REPOSITORY");
    });

    it.each(["github", "gitlab"] as const)("a %s branch deletion → 202 ignored, no run", async (forge) => {
      git(origin.work, "checkout", "-q", "develop");
      git(origin.work, "checkout", "-qb", `feature/gone-${forge}`);
      await gitAsync(origin.work, "push", "-q", "origin", `feature/gone-${forge}`);
      const sha = git(origin.work, "rev-parse", "HEAD");
      await gitAsync(origin.work, "push", "-q", "origin", "--delete", `feature/gone-${forge}`);
      const before = (await runsFor(sha)).length;
      const del = payload(forge, `refs/heads/feature/gone-${forge}`, sha, ZERO, origin.bare);
      const res = await hook(forgeHeaders(forge, del), del);
      expect(res.status).toBe(202);
      expect(res.body.ignored).toMatch(/deleted/);
      expect(res.body.run).toBeUndefined();
      expect(await runsFor(sha)).toHaveLength(before);
    });

    it("a push to a branch the repository does not follow → 202 ignored, no run", async () => {
      // `random` matches none of the default branch globs (develop, main, master, feature/*, ...).
      const { before, after } = await pushCommit("random", "random\n");
      const other = payload("github", "refs/heads/random", before, after, origin.bare);
      const res = await hook(forgeHeaders("github", other), other);
      expect(res.status).toBe(202);
      expect(res.body.ignored).toMatch(/not followed/);
      // A tag outside the `v*` glob is not followed either.
      git(origin.work, "tag", "nightly-1");
      await gitAsync(origin.work, "push", "-q", "origin", "nightly-1");
      const tagBody = payload("github", "refs/tags/nightly-1", ZERO, after, origin.bare);
      const res2 = await hook(forgeHeaders("github", tagBody), tagBody);
      expect(res2.status).toBe(202);
      expect(await runsFor(after)).toEqual([]);
    });
  });

  it("post-receive + curl (plain form) on an annotated tag push → a tag run of the tagged commit", async () => {
    installPostReceive(origin.bare, `${daemon.url}/api/hooks/hooks`);
    git(origin.work, "checkout", "-q", "main");
    const commit = git(origin.work, "rev-parse", "HEAD");
    git(origin.work, "tag", "-a", "v1.2", "-m", "release 1.2");
    await gitAsync(origin.work, "push", "-q", "origin", "v1.2");
    const run = await eventually(async () => {
      const { body } = await daemon.api<{ runs: RunRow[] }>("GET", "/api/runs?repository=hooks&ref=refs/tags/v1.2");
      return body.runs[0];
    }, 30_000);
    // The hook reports the tag object's id; the run builds the commit it points at.
    expect(run).toMatchObject({ sha: commit, flowKind: "tag", trigger: "push" });
    const done = await daemon.waitForRun(run.id, 60_000);
    expect(done.run.status).toBe("success");
    expect(done.run.version).toBe("v1.2");
  });
});
