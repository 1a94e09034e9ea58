import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DockerEngine, LABEL } from "../../../engine/index.js";
import type { RunRow } from "../../../store/index.js";
import { git, gitAsync } from "../../helpers/fixture-repo.js";
import { createOrigin, eventually, installPostReceive, startTestDaemon, type TestDaemon } from "../../helpers/serve.js";

const PIPELINE = [
  "name: tiny",
  "builders:",
  "  box: { image: busybox:latest }",
  "stages:",
  "  - name: build",
  "    builder: box",
  '    commands: ["echo building $SLIPWAY_REF_NAME at $SLIPWAY_SHORT_SHA", "cat VERSION"]',
  "",
].join("\n");

describe("slipway serve: triggers and the queue (real git, real engine)", () => {
  let origin: ReturnType<typeof createOrigin>;
  let daemon: TestDaemon;
  const engine = new DockerEngine();

  beforeAll(async () => {
    origin = createOrigin({ "slipway.yml": PIPELINE, VERSION: "1\n" });
    daemon = await startTestDaemon(
      [
        "repositories:",
        "  - name: tiny",
        `    url: ${origin.bare}`,
        "    webhook_secret: { env: HOOK_SECRET }",
        "",
      ].join("\n"),
    );
    installPostReceive(origin.bare, `${daemon.url}/api/hooks/tiny`);
  });
  afterAll(async () => {
    await daemon?.stop();
    origin?.cleanup();
  });

  it("git push origin develop → post-receive webhook → a run that builds that commit", async () => {
    writeFileSync(join(origin.work, "VERSION"), "2\n");
    git(origin.work, "commit", "-qam", "v2");
    await gitAsync(origin.work, "push", "-q", "origin", "develop");
    const sha = git(origin.work, "rev-parse", "HEAD");
    const run = await eventually(async () => {
      const { body } = await daemon.api<{ runs: RunRow[] }>("GET", "/api/runs?repository=tiny");
      return body.runs.find((r) => r.sha === sha);
    });
    expect(run.trigger).toBe("push");
    expect(run.ref).toBe("refs/heads/develop");
    expect(run.flowKind).toBe("develop");
    const done = await daemon.waitForRun(run.id);
    expect(done.run.status).toBe("success");
    expect(done.run.version).toBe(`develop-${run.number}`);
    expect(done.stages.map((s) => [s.name, s.status])).toEqual([["build", "success"]]);
    const log = await daemon.api<string>("GET", `/api/runs/${run.id}/logs/build`);
    expect(log.body).toContain(`building develop at ${sha.slice(0, 8)}`);
    expect(log.body).toMatch(/^2$/m);
    expect(await engine.listResources([`${LABEL.run}=${run.id}`])).toEqual([]);
  });

  it("reuses the repository's cached mirror: later runs fetch, never clone again", async () => {
    const repo = daemon.ctx.config.repository("tiny");
    if (!repo) throw new Error("no repo");
    const mirror = daemon.ctx.sources.mirror(repo);
    const syncs: boolean[] = [];
    const original = mirror.sync.bind(mirror);
    mirror.sync = async () => {
      const cloned = await original();
      syncs.push(cloned);
      return cloned;
    };
    for (let i = 0; i < 2; i++) {
      const { body } = await daemon.api<{ run: RunRow }>("POST", "/api/repos/tiny/runs", { ref: "develop" });
      expect((await daemon.waitForRun(body.run.id)).run.status).toBe("success");
    }
    expect(syncs.length).toBeGreaterThanOrEqual(2);
    expect(syncs.every((cloned) => cloned === false)).toBe(true);
  });
});
