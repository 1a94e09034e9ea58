import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { detectCompose } from "../../../compose/index.js";
import { deployVersion, isDeployError } from "../../../deploy/index.js";
import { appImage, engine, exitingAppImage, sample, startLoad, TestEnvironment } from "./helpers.js";

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
    const load = await startLoad(url, { concurrency: 2, maxSeconds: 120 });
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
    // Batches 2 and 3 copied batch 1's new container instead of running compose again: the
    // copies are compose's own (it lists them, numbers them, and sees them as current).
    const ids = await env.containerIds("app");
    expect((await composePs(env, "app")).sort()).toEqual(ids);
    const numbers = await Promise.all(
      ids.map(async (id) => (await engine.inspectContainer(id)).labels?.["com.docker.compose.container-number"]),
    );
    expect(new Set(numbers).size).toBe(3);
    const again = await deployVersion(env.target("v2", v2), env.options());
    expect(again.status).toBe("success");
    expect(await env.containerIds("app")).toEqual(ids);
  });

  it("puts a drained old replica back when its replacement dies inside the monitor window", async () => {
    await using env = await TestEnvironment.create();
    // Healthy at its first check (500 ms), dead at 1.5 s: inside the 2 s monitor window, after
    // the start-first batch began draining the replica it replaces.
    const [v1, dies] = [await appImage("v1"), await exitingAppImage("v4", 1.5)];
    await deployVersion(env.target("v1", v1), env.options());
    const url = await env.lbUrl();
    await waitServing(url, "v1");
    const before = await env.containerIds("app");
    const lines: string[] = [];
    const load = await startLoad(url, { concurrency: 2, maxSeconds: 120 });
    const err = await deployVersion(env.target("v4", dies), env.options({ log: (l) => lines.push(l) })).catch(
      (e: unknown) => e,
    );
    const report = await load.stop();
    expect(isDeployError(err, "SLIPWAY_E_DEPLOY_ROLLED_BACK")).toBe(true);
    expect(lines.join("\n")).toMatch(/app: 1 old container\(s\) back in rotation/);
    expect(report.errors).toEqual([]);
    expect(report.failed).toBe(0);
    // The very same v1 containers serve: the drained one was never stopped.
    expect(await env.containerIds("app")).toEqual(before);
    expect(await env.appImages()).toEqual([v1, v1, v1]);
    // ... and every one of them is in rotation again (answers to the service's name).
    for (const id of before) {
      const networks = Object.values((await engine.inspectContainer(id)).networks ?? {});
      expect(networks.some((n) => n.aliases.includes("app"))).toBe(true);
    }
    expect(new Set(await sample(url, 12))).toEqual(new Set(["v1"]));
  });

  it("rolls back automatically when the new version's healthcheck fails, with zero failed requests", async () => {
    await using env = await TestEnvironment.create();
    const [v1, bad] = [await appImage("v1"), await appImage("v3", false)];
    await deployVersion(env.target("v1", v1), env.options());
    const url = await env.lbUrl();
    await waitServing(url, "v1");
    const load = await startLoad(url, { concurrency: 2, maxSeconds: 120 });
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

/** Ids of a service's containers as the compose CLI itself lists them. */
async function composePs(env: TestEnvironment, service: string): Promise<string[]> {
  const cli = await detectCompose();
  const [command, ...prefix] = cli.flavor === "v2" ? ["docker", "compose"] : ["docker-compose"];
  const out = execFileSync(
    command as string,
    [...prefix, "-p", env.project, "-f", join(env.dir, "compose.yml"), "ps", "-q", service],
    { env: { ...process.env, IMAGE: "busybox:latest", LB_IMAGE: "busybox:latest" }, encoding: "utf8" },
  );
  const short = out.split("\n").filter(Boolean);
  const all = await env.containerIds(service);
  // v1 prints full ids, v2 may print short ones: map each to the full id.
  return short.map((s) => all.find((id) => id.startsWith(s)) ?? s);
}

async function waitServing(url: string, version: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const got = await sample(url, 3).catch(() => []);
    if (got.length === 3 && got.every((v) => v === version)) return;
    if (Date.now() > deadline) throw new Error(`LB never served ${version}: ${got.join(",")}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
