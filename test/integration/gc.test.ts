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
});
