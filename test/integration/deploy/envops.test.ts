import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AuditEventJson, DeploymentDetailJson } from "../../../api-schema/index.js";
import type { RunRow } from "../../../store/index.js";
import { startTestDaemon, type TestDaemon } from "../../helpers/serve.js";
import { cli, DaemonEnvironment } from "./daemon-env.js";
import { sample } from "./helpers.js";

/**
 * Environment operations through a real daemon and the real CLI: the deploy stage of develop
 * runs deploys develop-1 and develop-2, then `slipway deploy` goes back to the older
 * develop-1 (never "superseded"), `rollback` returns to the last good version, and versions
 * that no run produced or whose image is missing are refused with nothing changed.
 */
describe("slipway deploy / confirm / rollback / status / history through the daemon", () => {
  let env: DaemonEnvironment;
  let daemon: TestDaemon;

  beforeAll(async () => {
    env = await DaemonEnvironment.create();
    await env.tagVersion(1, "v1");
    await env.tagVersion(2, "v2");
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

  it("deploys, redeploys an older version explicitly, refuses unknown and missing versions, rolls back", async () => {
    expect((await run("develop")).run.status).toBe("success");
    expect((await run("develop")).run.status).toBe("success");
    const url = await env.lbUrl();
    expect(new Set(await sample(url, 6))).toEqual(new Set(["v2"]));

    // An older version, explicitly: deployed (not superseded by run #2), the CLI follows it to the end.
    const back = await cli(daemon.url, "deploy", "staging", "develop-1");
    expect(back.stderr).toBe("");
    expect(back.code).toBe(0);
    expect(back.stdout).toMatch(/develop-1 success/);
    expect(new Set(await sample(url, 6))).toEqual(new Set(["v1"]));

    // No run produced develop-9: refused before anything is touched.
    const before = await env.containerIds();
    const unknown = await cli(daemon.url, "deploy", "staging", "develop-9");
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/SLIPWAY_E_DEPLOY_VERSION_UNKNOWN/);
    // Run #3 computed develop-3 but its image was never built: its deploy stage fails, and so does
    // an explicit deploy, both before anything changed.
    const third = await run("develop");
    expect(third.run.status).toBe("failed");
    expect(third.stages.find((s) => s.name === "deploy")?.detail).toMatch(/SLIPWAY_E_DEPLOY_VERSION_MISSING/);
    const missing = await cli(daemon.url, "deploy", "staging", "develop-3");
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/SLIPWAY_E_DEPLOY_VERSION_MISSING/);
    expect(await env.containerIds()).toEqual(before);

    // Nothing paused: confirm is refused with its code (409 through the API).
    const confirm = await cli(daemon.url, "confirm", "staging");
    expect(confirm.code).toBe(1);
    expect(confirm.stderr).toMatch(/SLIPWAY_E_DEPLOY_NOT_PAUSED.*HTTP 409/);

    // Rollback without a version: the last good version before the current one (develop-2).
    const rollback = await cli(daemon.url, "rollback", "staging");
    expect(rollback.code).toBe(0);
    expect(new Set(await sample(url, 6))).toEqual(new Set(["v2"]));

    const status = await cli(daemon.url, "status", "staging", "--repo", "shop");
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/shop\/staging: develop-2 \(success/);
    expect(status.stdout).toMatch(/^app\s+develop-2\s+3\s+3\s/m);
    expect(status.stdout).toMatch(/^lb\s+develop-2\s+1\s+1\s/m);
    expect(status.stdout).toMatch(/^db\s+develop-2\s+1\s+1\s/m);

    const history = await cli(daemon.url, "history", "staging", "--batches");
    expect(history.code).toBe(0);
    const lines = history.stdout.split("\n").filter((l) => /^[0-9A-Z]{26} /.test(l));
    expect(lines.map((l) => l.split(/\s+/).slice(4, 8))).toEqual([
      ["develop-2", "develop-1", "success", "rollback"],
      ["develop-1", "develop-2", "success", "api"],
      ["develop-2", "develop-1", "success", "stage"],
      ["develop-1", "-", "success", "stage"],
    ]);
    expect(history.stdout).toMatch(/update app 1\/3 success/);

    // The API: each batch with timings and health; actor and trigger; the audit log.
    const { body } = await daemon.api<{ deployments: DeploymentDetailJson[] }>(
      "GET",
      "/api/repos/shop/environments/staging/deployments?limit=2",
    );
    const [rolled, explicit] = body.deployments;
    expect(rolled?.trigger).toBe("rollback");
    expect(rolled?.actor).toBe("$SLIPWAY_API_TOKEN");
    expect(explicit?.runId).toBe((await findRun(daemon, "develop-1")).id);
    const batch = explicit?.batches.find((b) => b.service === "app");
    expect(batch?.health.every((h) => h.state === "healthy")).toBe(true);
    expect(batch && batch.finishedAt >= batch.startedAt).toBe(true);
    const audit = await daemon.api<{ events: AuditEventJson[] }>("GET", "/api/audit?limit=20");
    const actions = audit.body.events.filter((e) => e.target === "shop/staging").map((e) => e.action);
    expect(actions).toEqual(["env-rollback", "env-deploy"]);
  });

  it("answers in the API's shape: auth, unknown repository and environment, schema, list", async () => {
    const anonymous = await daemon.api("POST", "/api/repos/shop/environments/staging/deploy", { version: "x" }, null);
    expect(anonymous.status).toBe(401);
    const noRepo = await daemon.api<{ error: string }>("GET", "/api/repos/nope/environments/staging");
    expect([noRepo.status, noRepo.body.error]).toEqual([404, "SLIPWAY_E_API_NOT_FOUND"]);
    const noEnv = await daemon.api<{ error: string }>("GET", "/api/repos/shop/environments/production");
    expect([noEnv.status, noEnv.body.error]).toEqual([404, "SLIPWAY_E_DEPLOY_UNKNOWN_ENVIRONMENT"]);
    const badBody = await daemon.api<{ error: string }>("POST", "/api/repos/shop/environments/staging/deploy", {
      version: "develop-1",
      force: true,
    });
    expect([badBody.status, badBody.body.error]).toEqual([400, "SLIPWAY_E_API_BAD_BODY"]);
    // A wait is bounded below the CLI's fetch header timeout (300 s): the request is held meanwhile.
    const longWait = await daemon.api<{ error: string }>("POST", "/api/repos/shop/environments/staging/rollback", {
      waitSeconds: 241,
    });
    expect([longWait.status, longWait.body.error]).toEqual([400, "SLIPWAY_E_API_BAD_BODY"]);
    const cliWait = await cli(daemon.url, "confirm", "staging", "--wait", "241");
    expect([cliWait.code, /SLIPWAY_E_CLI_USAGE/.test(cliWait.stderr)]).toEqual([2, true]);
    const list = await daemon.api<{ environments: { environment: string; lastGood: string | null }[] }>(
      "GET",
      "/api/repos/shop/environments",
    );
    expect(list.body.environments).toEqual([
      expect.objectContaining({ environment: "staging", lastGood: "develop-2" }),
    ]);
  });
});

async function findRun(daemon: TestDaemon, version: string): Promise<RunRow> {
  const { body } = await daemon.api<{ runs: RunRow[] }>("GET", "/api/runs?repository=shop&limit=50");
  const run = body.runs.find((r) => r.version === version && r.status === "success");
  if (!run) throw new Error(`no run of ${version}`);
  return run;
}
