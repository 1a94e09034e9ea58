import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import type { DeploymentDetailJson } from "../../../api-schema/index.js";
import type { DeploymentRow } from "../../../store/index.js";
import type { CliRun } from "../../helpers/cli.js";
import { testPostgresUrl } from "../../helpers/postgres.js";
import { brief, call, cli, DaemonEnvironment, overlapping, runToEnd, startServe } from "./daemon-env.js";
import { sample } from "./helpers.js";

/**
 * Two `slipway serve` processes (two data dirs, two runner ids) on one PostgreSQL, in a schema
 * of their own: while one deploys the environment, the other's deploy is refused at once with
 * SLIPWAY_E_DEPLOY_LOCKED naming the holder, or, with --wait, waits for the lock and deploys
 * after. The store's history shows no two deployments of the environment overlapping in time.
 */
describe("two daemons sharing one PostgreSQL", () => {
  const dir = mkdtempSync(join(tmpdir(), "slipway-envpg-"));
  const procs: CliRun[] = [];
  const schema = `slipway_envops_${randomBytes(5).toString("hex")}`;
  let admin: pg.Client | undefined;
  let env: DaemonEnvironment | undefined;
  afterAll(async () => {
    for (const p of procs) {
      p.child.kill("SIGTERM");
      await p.done;
    }
    await env?.[Symbol.asyncDispose]();
    await admin?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin?.end();
    rmSync(dir, { recursive: true, force: true });
  });

  it("never deploy one environment at once: the second is refused, or waits with --wait", async () => {
    const base = await testPostgresUrl();
    admin = new pg.Client({ connectionString: base });
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${schema}`);
    const storeUrl = `${base}${base.includes("?") ? "&" : "?"}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
    env = await DaemonEnvironment.create();
    await env.tagVersion(1, "v1");
    await env.tagVersion(2, "v2");
    const a = await startServe(join(dir, "a"), "envpg-a", env.config(), { SLIPWAY_STORE_URL: storeUrl });
    procs.push(a.proc);
    const b = await startServe(join(dir, "b"), "envpg-b", env.config(), { SLIPWAY_STORE_URL: storeUrl });
    procs.push(b.proc);
    // Either daemon may claim the queued runs: they share the queue too.
    expect(brief(await runToEnd(a.url, "develop"))).toEqual(["success", null]);
    expect(brief(await runToEnd(a.url, "develop"))).toEqual(["success", null]);

    // A deploys develop-1; while it runs, B is refused at once, naming A.
    const first = await call<{ deployment: DeploymentDetailJson }>(
      a.url,
      "POST",
      "/api/repos/shop/environments/staging/deploy",
      { version: "develop-1" },
    );
    expect(first.status).toBe(202);
    const refused = await call<{ error: string; message: string }>(
      b.url,
      "POST",
      "/api/repos/shop/environments/staging/deploy",
      { version: "develop-2" },
    );
    expect([refused.status, refused.body.error]).toEqual([409, "SLIPWAY_E_DEPLOY_LOCKED"]);
    expect(refused.body.message).toMatch(/being deployed by slipway-test-envpg-a/);
    const cliRefused = await cli(b.url, "rollback", "staging", "develop-2");
    expect(cliRefused.code).toBe(1);
    expect(cliRefused.stderr).toMatch(/SLIPWAY_E_DEPLOY_LOCKED/);

    // With --wait, B waits for A's deployment to end, then deploys.
    const waited = await cli(b.url, "deploy", "staging", "develop-2", "--wait", "180");
    expect(waited.stderr).toBe("");
    expect(waited.code).toBe(0);
    const { body: done } = await call<{ deployment: DeploymentDetailJson }>(
      a.url,
      "GET",
      `/api/repos/shop/environments/staging/deployments/${first.body.deployment.id}`,
    );
    expect(done.deployment.status).toBe("success");
    expect(new Set(await sample(await env.lbUrl(), 6))).toEqual(new Set(["v2"]));

    const { body } = await call<{ deployments: DeploymentRow[] }>(
      b.url,
      "GET",
      "/api/repos/shop/environments/staging/deployments?limit=50",
    );
    // Two stage deploys, A's develop-1, B's develop-2; none of them overlapping another.
    expect(body.deployments.map((d) => [d.version, d.status, d.trigger])).toEqual([
      ["develop-2", "success", "api"],
      ["develop-1", "success", "api"],
      ["develop-2", "success", "stage"],
      ["develop-1", "success", "stage"],
    ]);
    expect(overlapping(body.deployments)).toEqual([]);
    const [bs, as] = body.deployments;
    expect(bs && as && bs.createdAt >= (as.finishedAt ?? Number.POSITIVE_INFINITY)).toBe(true);
  });
});
