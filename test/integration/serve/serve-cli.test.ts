import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DockerEngine, LABEL } from "../../../engine/index.js";
import type { RunRow } from "../../../store/index.js";
import { runCli, startCli } from "../../helpers/cli.js";
import { git } from "../../helpers/fixture-repo.js";
import { API_TOKEN, createOrigin, eventually, startTestDaemon, type TestDaemon } from "../../helpers/serve.js";

const pipeline = (...stages: [name: string, command: string][]) =>
  [
    "name: cli",
    "builders:",
    "  box: { image: busybox:latest }",
    "stages:",
    ...stages.flatMap(([name, command]) => [
      `  - name: ${name}`,
      "    builder: box",
      `    commands: [${JSON.stringify(command)}]`,
    ]),
    "",
  ].join("\n");

/** `queued cli #3 (01J...) refs/heads/develop @ 0123456789ab` → the run id. */
const RUN_ID = /queued (?:retry )?(?:cli #\d+ )?\(?([0-9A-Z]{26})\)?/;

describe("slipway CLI verbs against a running daemon (trigger, runs, logs, cancel, retry)", () => {
  let origin: ReturnType<typeof createOrigin>;
  let daemon: TestDaemon;
  let env: Record<string, string>;
  const engine = new DockerEngine();

  beforeAll(async () => {
    origin = createOrigin({
      "slipway.yml": pipeline(
        ["compile", "for i in 1 2 3 4 5; do echo compile step $i; sleep 0.2; done"],
        ["test", "for i in 1 2 3; do echo test step $i; sleep 0.2; done"],
      ),
    });
    git(origin.work, "checkout", "-qb", "feature/slow");
    writeFileSync(join(origin.work, "slipway.yml"), pipeline(["wait", "echo waiting; sleep 60; echo never"]));
    git(origin.work, "commit", "-qam", "slow");
    git(origin.work, "push", "-q", "origin", "feature/slow");
    daemon = await startTestDaemon(["repositories:", "  - name: cli", `    url: ${origin.bare}`, ""].join("\n"));
    env = { SLIPWAY_URL: daemon.url, SLIPWAY_TOKEN: API_TOKEN };
  });
  afterAll(async () => {
    await daemon?.stop();
    origin?.cleanup();
  });

  const getRun = async (id: string) => (await daemon.api<{ run: RunRow }>("GET", `/api/runs/${id}`)).body.run;

  let finished: RunRow | undefined;
  /** A finished develop run: the trigger test's, or (when a test runs alone) one made for it. */
  async function finishedRun(): Promise<RunRow> {
    if (finished) return finished;
    const { body } = await daemon.api<{ run: RunRow }>("POST", "/api/repos/cli/runs", { ref: "develop" });
    finished = (await daemon.waitForRun(body.run.id, 120_000)).run;
    expect(finished.status).toBe("success");
    return finished;
  }

  it("`slipway trigger` queues a run and names it; `slipway logs --follow` prints every stage live and ends with the run", async () => {
    const trigger = await runCli(["trigger", "cli", "develop"], env);
    expect(trigger.stderr).toBe("");
    expect(trigger.code).toBe(0);
    expect(trigger.stdout).toMatch(/^queued cli #\d+ \([0-9A-Z]{26}\) refs\/heads\/develop @ [0-9a-f]{12}$/m);
    const id = RUN_ID.exec(trigger.stdout)?.[1] as string;
    expect((await getRun(id)).trigger).toBe("manual");

    const follow = startCli(["logs", id, "--follow"], env);
    await follow.waitFor(/compile step 1/, 60_000);
    // The first line came while the run was still going: this is live, not a replay.
    expect(["queued", "running"]).toContain((await getRun(id)).status);
    const result = await follow.done;
    expect(result.code).toBe(0);
    const out = result.stdout;
    for (let i = 1; i <= 5; i++) expect(out.split(`compile step ${i}\n`)).toHaveLength(2);
    for (let i = 1; i <= 3; i++) expect(out.split(`test step ${i}\n`)).toHaveLength(2);
    expect(out.indexOf("── compile")).toBeLessThan(out.indexOf("compile step 1"));
    expect(out.indexOf("compile step 5")).toBeLessThan(out.indexOf("── test"));
    expect(out.indexOf("── test")).toBeLessThan(out.indexOf("test step 1"));
    expect(out.trimEnd().split("\n").at(-1)).toBe(`run ${id} success`);
    finished = await getRun(id);
    expect(finished.status).toBe("success");
  });

  it("`slipway runs` lists the run; --status filters; a bad status is refused with the API's code", async () => {
    const finished = await finishedRun();
    const runs = await runCli(["runs", "--repo", "cli"], env);
    expect(runs.code).toBe(0);
    const line = runs.stdout.split("\n").find((l) => l.startsWith(finished.id));
    expect(line).toMatch(
      new RegExp(`^${finished.id} +cli +${finished.number} +develop +success +develop-${finished.number}$`),
    );
    const failed = await runCli(["runs", "--status", "failed"], env);
    expect(failed.code).toBe(0);
    expect(failed.stdout).not.toContain(finished.id);
    const bad = await runCli(["runs", "--status", "done"], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("SLIPWAY_E_API_BAD_QUERY");
  });

  it("`slipway cancel` stops a `sleep 60` run: cancelled, its container gone", async () => {
    const trigger = await runCli(["trigger", "cli", "feature/slow"], env);
    expect(trigger.code).toBe(0);
    const id = RUN_ID.exec(trigger.stdout)?.[1] as string;
    await eventually(async () => {
      const log = await daemon.api<string>("GET", `/api/runs/${id}/logs/wait`);
      return typeof log.body === "string" && log.body.includes("waiting") ? true : undefined;
    }, 60_000);
    expect(await engine.listResources([`${LABEL.run}=${id}`])).not.toEqual([]);
    const started = Date.now();
    const cancel = await runCli(["cancel", id], env);
    expect(cancel.stderr).toBe("");
    expect(cancel.code).toBe(0);
    expect(cancel.stdout.trim()).toBe(`run ${id} cancelled`);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect((await getRun(id)).status).toBe("cancelled");
    expect(await engine.listResources([`${LABEL.run}=${id}`])).toEqual([]);
    // Cancelling it again is a conflict, reported with its code.
    const again = await runCli(["cancel", id], env);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("SLIPWAY_E_API_CONFLICT");
  });

  it("`slipway retry` queues a new run of the same commit, which runs", async () => {
    const finished = await finishedRun();
    const retry = await runCli(["retry", finished.id], env);
    expect(retry.code).toBe(0);
    const id = /^queued retry ([0-9A-Z]{26}) \(#(\d+)\)$/m.exec(retry.stdout)?.[1] as string;
    expect(id).toBeDefined();
    expect(id).not.toBe(finished.id);
    const done = await daemon.waitForRun(id, 60_000);
    expect(done.run).toMatchObject({ retryOf: finished.id, sha: finished.sha, trigger: "retry", status: "success" });
    const from = await runCli(["retry", finished.id, "--from", "test"], env);
    expect(from.code).toBe(0);
    expect(from.stdout).toMatch(/from stage test$/m);
    const fromId = /^queued retry ([0-9A-Z]{26})/m.exec(from.stdout)?.[1] as string;
    const fromDone = await daemon.waitForRun(fromId, 60_000);
    expect(fromDone.run.status).toBe("success");
    // Only `test` ran again: `compile` is skipped as the retry starts after it.
    expect(fromDone.stages.map((s) => [s.name, s.status])).toEqual([
      ["compile", "skipped"],
      ["test", "success"],
    ]);
    const bad = await runCli(["retry", finished.id, "--from", "deploy"], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("SLIPWAY_E_API_BAD_STAGE");
  });

  it("bad input: an unknown ref, no token, no arguments, an unknown run, an unreachable daemon", async () => {
    const ref = await runCli(["trigger", "cli", "no-such-branch"], env);
    expect(ref.code).toBe(1);
    expect(ref.stderr.trim()).toBe("slipway: SLIPWAY_E_API_BAD_REF: no branch or tag no-such-branch in cli (HTTP 422)");
    const noToken = await runCli(["trigger", "cli", "develop"], { SLIPWAY_URL: daemon.url, SLIPWAY_TOKEN: "" });
    expect(noToken.code).toBe(1);
    expect(noToken.stderr).toContain("SLIPWAY_E_API_UNAUTHORIZED");
    const usage = await runCli(["trigger", "cli"], env);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("usage: slipway trigger REPO REF");
    const unknown = await runCli(["logs", "01J0000000000000000000NONE"], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("SLIPWAY_E_API_NOT_FOUND");
    const down = await runCli(["runs"], { SLIPWAY_URL: "http://127.0.0.1:9", SLIPWAY_TOKEN: API_TOKEN });
    expect(down.code).toBe(1);
    expect(down.stderr).toContain("SLIPWAY_E_API_UNREACHABLE");
    expect(down.stderr).toContain("http://127.0.0.1:9");
  });
  it("`slipway token create|list|revoke`: shown once, listed without the secret, revoked", async () => {
    const created = await runCli(["token", "create", "deploy-bot"], env);
    expect(created.code).toBe(0);
    const id = /^created token deploy-bot \(([0-9A-Z]{26})\)/m.exec(created.stdout)?.[1] as string;
    const token = /^(slw_\S+)$/m.exec(created.stdout)?.[1] as string;
    expect(id).toBeDefined();
    expect(token).toBeDefined();
    // Listing tokens needs a token even with public_read: the new one is accepted.
    const mine = await runCli(["token", "list"], { SLIPWAY_URL: daemon.url, SLIPWAY_TOKEN: token });
    expect(mine.code).toBe(0);
    const list = await runCli(["token", "list"], env);
    expect(list.stdout).toMatch(new RegExp(`^${id} +deploy-bot +\\d{4}-`, "m"));
    expect(list.stdout).not.toContain(token);
    const revoked = await runCli(["token", "revoke", id], env);
    expect(revoked.stdout.trim()).toBe(`revoked token ${id}`);
    const refused = await runCli(["token", "list"], { SLIPWAY_URL: daemon.url, SLIPWAY_TOKEN: token });
    expect(refused.stderr).toContain("SLIPWAY_E_API_UNAUTHORIZED");
    const usage = await runCli(["token", "rotate"], env);
    expect(usage.code).toBe(2);
  });
});
