import { afterAll, describe, expect, it } from "vitest";
import { DockerEngine, LABEL } from "../../engine/index.js";
import { runCli, startCli } from "../helpers/cli.js";
import { createFixtureRepo } from "../helpers/fixture-repo.js";

const engine = new DockerEngine();

describe("slipway gc after a crashed run", () => {
  const repo = createFixtureRepo({
    "slipway.yml":
      "name: crash\nbuilders:\n  box: { image: busybox:latest }\nstages:\n  - name: wait\n    builder: box\n    commands: [echo started, sleep 300]\n",
  });
  afterAll(() => repo.cleanup());

  it("leaves resources on kill -9, which `slipway gc` then removes (and only those)", async () => {
    const run = startCli(["run", "--repo", repo.dir]);
    await run.waitFor(/^started$/m);
    const runId = /^run (\S+): /m.exec(run.output())?.[1] ?? "";
    run.child.kill("SIGKILL");
    await run.done;
    const orphans = await engine.listResources([`${LABEL.run}=${runId}`]);
    expect(orphans.map((r) => r.kind).sort()).toEqual(["container", "volume"]);

    const gc = await runCli(["gc"]);
    expect(gc.code, gc.stderr).toBe(0);
    expect(gc.stdout).toMatch(/^removed container /m);
    expect(gc.stdout).toMatch(new RegExp(`^removed volume slipway-ws-${runId}$`, "m"));
    expect(await engine.listResources([`${LABEL.run}=${runId}`])).toEqual([]);
  });

  it("reaps a compose stack orphaned by kill -9 at the start of the next `slipway run`", async () => {
    const app = createFixtureRepo();
    try {
      const run = startCli(["run", "--repo", app.dir, "--ref", "develop"]);
      await run.waitFor(/\[shard 1\].*(ready|healthy|\$ node it\/hello\.mjs)/i, 240_000);
      const runId = /^run (\S+): /m.exec(run.output())?.[1] ?? "";
      run.child.kill("SIGKILL");
      await run.done;
      const orphans = await engine.listResources([`${LABEL.run}=${runId}`]);
      expect(orphans.filter((r) => r.kind === "network").length).toBeGreaterThanOrEqual(2);
      expect(orphans.some((r) => r.kind === "container" && r.labels["com.docker.compose.project"])).toBe(true);

      const next = await runCli(["run", "--repo", app.dir, "--ref", "develop", "--only", "build"]);
      expect(next.code, next.stdout + next.stderr).toBe(0);
      expect(next.stdout).toMatch(/^gc: removed \d+ resource\(s\) of dead runs$/m);
      expect(await engine.listResources([`${LABEL.run}=${runId}`])).toEqual([]);
    } finally {
      app.cleanup();
    }
  });
});
