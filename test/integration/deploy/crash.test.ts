import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { DeploymentDetailJson } from "../../../api-schema/index.js";
import type { CliRun } from "../../helpers/cli.js";
import { eventually } from "../../helpers/serve.js";
import { brief, call, cli, DaemonEnvironment, runToEnd, startServe } from "./daemon-env.js";
import { sample, startLoad } from "./helpers.js";

/**
 * kill -9 of `slipway serve` in the middle of a rolling upgrade, under steady load through the
 * load balancer: the environment keeps answering (old or new version, never nothing) while no
 * runner exists, the restart records the deployment `interrupted` and offers confirm/rollback,
 * and `slipway confirm` through the CLI finishes the rollout.
 */
describe("the runner killed mid-rollout", () => {
  const dir = mkdtempSync(join(tmpdir(), "slipway-envcrash-"));
  const procs: CliRun[] = [];
  let env: DaemonEnvironment | undefined;
  afterAll(async () => {
    for (const p of procs) {
      p.child.kill("SIGTERM");
      await p.done;
    }
    await env?.[Symbol.asyncDispose]();
    rmSync(dir, { recursive: true, force: true });
  });

  it("keeps serving, is recorded interrupted at the next start, and confirm finishes it", async () => {
    env = await DaemonEnvironment.create();
    await env.tagVersion(1, "v1");
    await env.tagVersion(2, "v2");
    const first = await startServe(dir, "envcrash", env.config());
    procs.push(first.proc);
    expect(brief(await runToEnd(first.url, "develop"))).toEqual(["success", null]);
    expect(brief(await runToEnd(first.url, "develop"))).toEqual(["success", null]);
    const lb = await env.lbUrl();
    const load = await startLoad(lb, { concurrency: 2, maxSeconds: 240 });

    // Back to develop-1; killed once the first of three batches is done.
    const started = await call<{ deployment: DeploymentDetailJson }>(
      first.url,
      "POST",
      "/api/repos/shop/environments/staging/deploy",
      { version: "develop-1" },
    );
    expect(started.status).toBe(202);
    const id = started.body.deployment.id;
    await eventually(
      async () => {
        const { body } = await call<{ deployment: DeploymentDetailJson }>(
          first.url,
          "GET",
          `/api/repos/shop/environments/staging/deployments/${id}`,
        );
        return body.deployment.batches.length >= 1 ? true : undefined;
      },
      120_000,
      "the first batch",
    );
    first.proc.child.kill("SIGKILL");
    await first.proc.done;
    procs.splice(procs.indexOf(first.proc), 1);
    // No runner at all for a while: whatever mix was up keeps answering.
    await new Promise((r) => setTimeout(r, 5_000));
    const served = new Set(await sample(lb, 10));
    expect([...served].every((v) => v === "v1" || v === "v2")).toBe(true);

    const second = await startServe(dir, "envcrash", env.config());
    procs.push(second.proc);
    expect(second.proc.output()).toMatch(
      /deployment of develop-1 to shop\/staging was interrupted by a restart: confirm or roll back/,
    );
    const status = await cli(second.url, "status", "staging");
    expect(status.stdout).toMatch(/develop-1 \(interrupted/);
    expect(status.stdout).toMatch(/waiting for an operator: slipway confirm staging \| slipway rollback staging/);

    const confirm = await cli(second.url, "confirm", "staging");
    expect(confirm.stderr).toBe("");
    expect(confirm.code).toBe(0);
    const report = await load.stop();
    expect(new Set(await sample(lb, 6))).toEqual(new Set(["v1"]));
    const after = await cli(second.url, "status", "staging");
    expect(after.stdout).toMatch(/^app\s+develop-1\s+3\s+3\s/m);
    // The same deployment, finished: interrupted, then confirmed to success.
    const { body } = await call<{ deployment: DeploymentDetailJson }>(
      second.url,
      "GET",
      `/api/repos/shop/environments/staging/deployments/${id}`,
    );
    expect(body.deployment.status).toBe("success");
    console.log(`kill -9 mid-rollout under load: ${report.ok} ok, ${report.failed} failed`, report.errors.slice(0, 5));
    expect(report.failed).toBe(0);
    expect(report.ok).toBeGreaterThan(50);
  });
});
