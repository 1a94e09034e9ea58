import { createHmac, randomUUID } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunRow } from "../../../store/index.js";
import { git, gitAsync } from "../../helpers/fixture-repo.js";
import { createOrigin, eventually, HOOK_SECRET, startTestDaemon, type TestDaemon } from "../../helpers/serve.js";

const PIPELINE = [
  "name: polled",
  "builders:",
  "  box: { image: busybox:latest }",
  "stages:",
  "  - name: build",
  "    builder: box",
  '    commands: ["echo polled $SLIPWAY_SHORT_SHA"]',
  "",
].join("\n");

describe("slipway serve: polling with git ls-remote", () => {
  let origin: ReturnType<typeof createOrigin>;
  let daemon: TestDaemon;

  /**
   * One poll, driven by the test instead of the timer (`poll: 1h` keeps the timer out of the
   * way after the daemon's first poll): the refs it queued a run for. A poll error fails the test.
   */
  async function poll(): Promise<string[]> {
    const repo = daemon.ctx.config.repositories[0];
    if (!repo) throw new Error("no repository configured");
    for (;;) {
      const result = await daemon.ctx.poller.pollOnce(repo);
      if (result.error) throw result.error;
      if (!result.skipped) return result.started;
      await sleep(50); // the daemon's own first poll is still in flight
    }
  }

  const allRuns = async () =>
    (await daemon.api<{ runs: RunRow[] }>("GET", "/api/runs?repository=polled&limit=500")).body.runs;

  async function commitAndPush(branch: string, content: string): Promise<string> {
    const exists = git(origin.work, "branch", "--list", branch) !== "";
    git(origin.work, "checkout", "-q", ...(exists ? [branch] : ["-b", branch, "develop"]));
    writeFileSync(join(origin.work, "VERSION"), content);
    git(origin.work, "commit", "-qam", `change ${content.trim()}`);
    await gitAsync(origin.work, "push", "-q", "origin", branch);
    return git(origin.work, "rev-parse", "HEAD");
  }

  beforeAll(async () => {
    origin = createOrigin({ "slipway.yml": PIPELINE, VERSION: "1\n" });
    git(origin.work, "tag", "v1.0");
    await gitAsync(origin.work, "push", "-q", "origin", "v1.0");
    daemon = await startTestDaemon(
      [
        "repositories:",
        "  - name: polled",
        `    url: ${origin.bare}`,
        "    poll: 1h",
        "    webhook_secret: { env: HOOK_SECRET }",
        "",
      ].join("\n"),
    );
  });
  afterAll(async () => {
    await daemon?.stop();
    origin?.cleanup();
  });

  it("takes the first listing of a repository that never ran as the baseline: nothing runs", async () => {
    expect(await poll()).toEqual([]);
    expect(await allRuns()).toEqual([]);
  });

  it("a new commit on develop starts exactly one run, which succeeds", async () => {
    const sha = await commitAndPush("develop", "2\n");
    expect(await poll()).toEqual(["refs/heads/develop"]);
    const run = (await allRuns()).find((r) => r.sha === sha);
    expect(run).toMatchObject({ trigger: "poll", ref: "refs/heads/develop", flowKind: "develop" });
    expect(run?.dedupeKey).toBe(`commit:refs/heads/develop:${sha}`);
    expect((await daemon.waitForRun(run?.id ?? "", 60_000)).run.status).toBe("success");
    // The next poll sees the same commit: no second run.
    expect(await poll()).toEqual([]);
    expect((await allRuns()).filter((r) => r.sha === sha)).toHaveLength(1);
  });

  it("a new tag v2.0 starts a tag run", async () => {
    git(origin.work, "checkout", "-q", "main");
    git(origin.work, "tag", "-a", "v2.0", "-m", "two");
    await gitAsync(origin.work, "push", "-q", "origin", "v2.0");
    const commit = git(origin.work, "rev-parse", "HEAD");
    expect(await poll()).toEqual(["refs/tags/v2.0"]);
    const run = (await allRuns()).find((r) => r.ref === "refs/tags/v2.0");
    // The poller reads the peeled commit of an annotated tag, not the tag object.
    expect(run).toMatchObject({ sha: commit, flowKind: "tag", trigger: "poll" });
    expect((await daemon.waitForRun(run?.id ?? "", 60_000)).run.status).toBe("success");
    expect(await poll()).toEqual([]);
    expect((await allRuns()).filter((r) => r.ref === "refs/tags/v2.0")).toHaveLength(1);
  });

  it("a webhook and the poller reporting the same push → one run", async () => {
    const sha = await commitAndPush("develop", "both\n");
    const body = JSON.stringify({ ref: "refs/heads/develop", before: "0".repeat(40), after: sha });
    const res = await fetch(`${daemon.url}/api/hooks/polled`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-github-event": "push",
        "x-github-delivery": randomUUID(),
        "x-hub-signature-256": `sha256=${createHmac("sha256", HOOK_SECRET).update(body).digest("hex")}`,
      },
      body,
    });
    expect([200, 201]).toContain(res.status);
    const { run } = (await res.json()) as { run: RunRow };
    await daemon.waitForRun(run.id, 60_000);
    // The poll finds the commit the webhook already ran: the shared dedupe key makes it a duplicate.
    expect(await poll()).toEqual([]);
    expect((await allRuns()).filter((r) => r.sha === sha)).toHaveLength(1);
  });

  it("a push to a branch that is not followed starts nothing", async () => {
    const before = (await allRuns()).length;
    const sha = await commitAndPush("random", "random\n");
    git(origin.work, "tag", "nightly");
    await gitAsync(origin.work, "push", "-q", "origin", "nightly");
    expect(await poll()).toEqual([]);
    const runs = await allRuns();
    expect(runs.filter((r) => r.sha === sha)).toEqual([]);
    expect(runs).toHaveLength(before);
  });

  it("a deleted branch causes neither an error nor a run", async () => {
    const sha = await commitAndPush("feature/short-lived", "short\n");
    expect(await poll()).toEqual(["refs/heads/feature/short-lived"]);
    const run = (await allRuns()).find((r) => r.sha === sha);
    expect(run?.flowKind).toBe("feature");
    await daemon.waitForRun(run?.id ?? "", 60_000);
    const before = (await allRuns()).length;
    await gitAsync(origin.work, "push", "-q", "origin", "--delete", "feature/short-lived");
    // poll() throws on a poll error, so an empty answer is "no error and no run".
    expect(await poll()).toEqual([]);
    expect(await allRuns()).toHaveLength(before);
  });
});

describe("slipway serve: the poll timer (poll: 1s)", () => {
  it("polls on its own: a pushed commit starts a run without anyone asking", async () => {
    const origin = createOrigin({ "slipway.yml": PIPELINE, VERSION: "1\n" });
    const daemon = await startTestDaemon(
      ["repositories:", "  - name: polled", `    url: ${origin.bare}`, "    poll: 1s", ""].join("\n"),
    );
    try {
      git(origin.work, "checkout", "-q", "develop");
      writeFileSync(join(origin.work, "VERSION"), "timer\n");
      git(origin.work, "commit", "-qam", "timer");
      await gitAsync(origin.work, "push", "-q", "origin", "develop");
      const sha = git(origin.work, "rev-parse", "HEAD");
      const run = await eventually(
        async () =>
          (await daemon.api<{ runs: RunRow[] }>("GET", "/api/runs?repository=polled")).body.runs.find(
            (r) => r.sha === sha,
          ),
        30_000,
        "a run started by the poll timer",
      );
      expect(run.trigger).toBe("poll");
      await daemon.waitForRun(run.id, 60_000);
    } finally {
      await daemon.stop();
      origin.cleanup();
    }
  });
});
