import { describe, expect, it } from "vitest";
import { deployVersion, isDeployError } from "../../../deploy/index.js";
import { appImage, engine, sample, startLoad, TestEnvironment } from "./helpers.js";

/**
 * A 3-replica app behind HAProxy (server-template on Docker's DNS), parallelism 1, delay 1s,
 * start-first, under a load generator on 127.0.0.1 that sends requests without pause.
 */
describe("rolling upgrade behind a load balancer", () => {
  it("replaces every replica with zero failed requests; the database is untouched", async () => {
    await using env = await TestEnvironment.create();
    const [v1, v2] = [await appImage("v1"), await appImage("v2")];
    const first = await deployVersion(env.target("v1", v1), env.options());
    expect(first.status).toBe("success");
    const url = await env.lbUrl();
    await waitServing(url, "v1");
    const db = await env.containerIds("db");
    const load = startLoad(url, { concurrency: 2, maxSeconds: 120 });
    const second = await deployVersion(env.target("v2", v2), env.options());
    const report = await load.stop();
    expect(second).toMatchObject({ status: "success", version: "v2", previousVersion: "v1" });
    expect(report.errors).toEqual([]);
    expect(report.failed).toBe(0);
    expect(report.ok).toBeGreaterThan(50);
    expect(report.versions.v1).toBeGreaterThan(0);
    expect(report.versions.v2).toBeGreaterThan(0);
    expect(await env.appImages()).toEqual([v2, v2, v2]);
    expect(new Set(await sample(url, 12))).toEqual(new Set(["v2"]));
    // The database was not recreated: same container, still running.
    expect(await env.containerIds("db")).toEqual(db);
    expect((await engine.inspectContainer(db[0] ?? "")).running).toBe(true);
    // Three batches recorded, one replica each, all healthy.
    const batches = await env.store.deployments.listBatches(second.id);
    expect(batches.map((b) => [b.service, b.batch, b.added.length, b.removed.length, b.status])).toEqual([
      ["app", 1, 1, 1, "success"],
      ["app", 2, 1, 1, "success"],
      ["app", 3, 1, 1, "success"],
    ]);
  });

  it("rolls back automatically when the new version's healthcheck fails, with zero failed requests", async () => {
    await using env = await TestEnvironment.create();
    const [v1, bad] = [await appImage("v1"), await appImage("v3", false)];
    await deployVersion(env.target("v1", v1), env.options());
    const url = await env.lbUrl();
    await waitServing(url, "v1");
    const load = startLoad(url, { concurrency: 2, maxSeconds: 120 });
    const err = await deployVersion(env.target("v3", bad), env.options()).catch((e: unknown) => e);
    const report = await load.stop();
    expect(isDeployError(err, "SLIPWAY_E_DEPLOY_ROLLED_BACK")).toBe(true);
    expect(report.failed).toBe(0);
    expect(await env.appImages()).toEqual([v1, v1, v1]);
    expect(new Set(await sample(url, 12))).toEqual(new Set(["v1"]));
    const [latest] = await env.store.deployments.listDeployments({ repository: "shop", environment: "staging" });
    expect(latest).toMatchObject({ version: "v3", status: "rolled_back" });
    expect(latest?.rollbackReason).toMatch(/app: 1 of 3 new replicas failed/);
  });

  it("refuses a version that does not exist, before anything is touched", async () => {
    await using env = await TestEnvironment.create();
    const v1 = await appImage("v1");
    await deployVersion(env.target("v1", v1), env.options());
    const before = await env.containerIds("app");
    const err = await deployVersion(env.target("v404", "slipway-deploy-test/app:v404-missing"), env.options()).catch(
      (e: unknown) => e,
    );
    expect(isDeployError(err, "SLIPWAY_E_DEPLOY_VERSION_MISSING")).toBe(true);
    expect(await env.containerIds("app")).toEqual(before);
    const history = await env.store.deployments.listDeployments({ repository: "shop", environment: "staging" });
    expect(history.map((d) => d.version)).toEqual(["v1"]);
  });
});

async function waitServing(url: string, version: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const got = await sample(url, 3).catch(() => []);
    if (got.length === 3 && got.every((v) => v === version)) return;
    if (Date.now() > deadline) throw new Error(`LB never served ${version}: ${got.join(",")}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
