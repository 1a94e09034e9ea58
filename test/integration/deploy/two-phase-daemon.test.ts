import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunRow } from "../../../store/index.js";
import { startTestDaemon, type TestDaemon } from "../../helpers/serve.js";
import { cli, DaemonEnvironment } from "./daemon-env.js";
import { sample } from "./helpers.js";

/**
 * `confirm_upgrade` and `keep_versions` through a real daemon and the real CLI: a deploy stage
 * ends awaiting confirmation (the run succeeds), `status` shows the kept containers, the next
 * run's deploy stage is refused until `confirm`, and `rollback` restarts the kept containers.
 */
describe("the two-phase finish through the daemon (slipway status / confirm / rollback)", () => {
  let env: DaemonEnvironment;
  let daemon: TestDaemon;

  beforeAll(async () => {
    env = await DaemonEnvironment.create({ keys: ["    confirm_upgrade: true", "    keep_versions: 1"] });
    await env.tagVersion(1, "v1");
    await env.tagVersion(2, "v2");
    await env.tagVersion(3, "v4");
    daemon = await startTestDaemon(env.config());
  });
  afterAll(async () => {
    await daemon?.stop();
    await env?.[Symbol.asyncDispose]();
  });

  const run = async (ref: string) => {
    const { body } = await daemon.api<{ run: RunRow }>("POST", "/api/repos/shop/runs", { ref });
    return daemon.waitForRun(body.run.id);
  };

  it("awaits confirmation, refuses the next deploy, confirms, and rolls back to the kept containers", async () => {
    expect((await run("develop")).run.status).toBe("success");
    const second = await run("develop");
    expect(second.run.status).toBe("success");
    expect(second.stages.find((s) => s.name === "deploy")?.detail).toMatch(/kept 3 replaced container/);
    const url = await env.lbUrl();
    expect(new Set(await sample(url, 6))).toEqual(new Set(["v2"]));

    const awaiting = await cli(daemon.url, "status", "staging");
    expect(awaiting.stdout).toMatch(/shop\/staging: develop-2 \(awaiting_confirm/);
    expect(awaiting.stdout).toMatch(/waiting for an operator: slipway confirm staging/);
    // Three running and ready replicas; the three kept ones are listed, not counted.
    expect(awaiting.stdout).toMatch(/^app\s+develop-2\s+3\s+3\s/m);
    expect(awaiting.stdout.match(/ kept\//g)).toHaveLength(3);

    // The next run's deploy stage is refused until someone decides.
    const third = await run("develop");
    expect(third.run.status).toBe("failed");
    expect(third.stages.find((s) => s.name === "deploy")?.detail).toMatch(/SLIPWAY_E_DEPLOY_AWAITING_CONFIRM/);

    const confirm = await cli(daemon.url, "confirm", "staging");
    expect(confirm.stderr).toBe("");
    expect(confirm.code).toBe(0);
    expect(confirm.stdout).toMatch(/develop-2 success .*removed 3 kept container/);
    const after = await cli(daemon.url, "status", "staging");
    expect(after.stdout).not.toMatch(/ kept\//);

    const deploy = await cli(daemon.url, "deploy", "staging", "develop-3");
    expect(deploy.code).toBe(0);
    expect(deploy.stdout).toMatch(/develop-3 awaiting_confirm/);
    expect(new Set(await sample(url, 6))).toEqual(new Set(["v4"]));

    // keep_versions: 1: only develop-2 (the version before the serving one) can be rolled back to.
    // The API says so (the dashboard offers "Roll back here" only for these), and the CLI is refused the rest.
    const { body: status } = await daemon.api<{ rollbackVersions: string[] }>(
      "GET",
      "/api/repos/shop/environments/staging",
    );
    expect(status.rollbackVersions).toEqual(["develop-2"]);
    const tooOld = await cli(daemon.url, "rollback", "staging", "develop-1");
    expect(tooOld.code).toBe(1);
    expect(tooOld.stderr).toMatch(/SLIPWAY_E_DEPLOY_ROLLBACK_TOO_OLD.*HTTP 409/);

    const rollback = await cli(daemon.url, "rollback", "staging");
    expect(rollback.code).toBe(0);
    expect(rollback.stdout).toMatch(/develop-2 success .*restarted 3 kept container/);
    expect(new Set(await sample(url, 6))).toEqual(new Set(["v2"]));
    const history = await cli(daemon.url, "history", "staging");
    const lines = history.stdout.split("\n").filter((l) => /^[0-9A-Z]{26} /.test(l));
    expect(lines.map((l) => l.split(/\s+/).slice(4, 8))).toEqual([
      ["develop-2", "develop-3", "success", "rollback"],
      ["develop-3", "develop-2", "rolled_back", "api"],
      ["develop-2", "develop-1", "success", "stage"],
      ["develop-1", "-", "success", "stage"],
    ]);
  });
});
