import { describe, expect, it } from "vitest";
import { confirmDeployment, deployVersion, isDeployError, rollbackEnvironment } from "../../../deploy/index.js";
import { APP, appImage, engine, sample, TestEnvironment } from "./helpers.js";

const KEY = { repository: "shop", environment: "staging" };

describe("failure_action: pause", () => {
  it("pauses on a failing batch, then rollback returns to the previous version", async () => {
    await using env = await TestEnvironment.create({ update: ", failure_action: pause" });
    const [v1, bad] = [await appImage("v1"), await appImage("v3", false)];
    await deployVersion(env.target("v1", v1), env.options());
    const err = await deployVersion(env.target("v3", bad), env.options()).catch((e: unknown) => e);
    expect(isDeployError(err, "SLIPWAY_E_DEPLOY_PAUSED")).toBe(true);
    const [paused] = await env.store.deployments.listDeployments(KEY);
    expect(paused).toMatchObject({ version: "v3", status: "paused" });
    // The failed new container was taken out; the old replicas kept serving.
    expect(await env.appImages()).toEqual([v1, v1, v1]);
    // Nothing else may deploy while it is paused? It may: the lock is free; but confirm needs a pause.
    const back = await rollbackEnvironment(env.target("v3", bad), env.options({ actor: "ann" }));
    expect(back).toMatchObject({ version: "v1", status: "success", trigger: "rollback", actor: "ann" });
    expect((await env.store.deployments.getDeployment(paused?.id ?? ""))?.status).toBe("rolled_back");
    expect(new Set(await sample(await env.lbUrl(), 6))).toEqual(new Set(["v1"]));
    const again = await confirmDeployment(env.target("v1", v1), env.options()).catch((e: unknown) => e);
    expect(isDeployError(again, "SLIPWAY_E_DEPLOY_NOT_PAUSED")).toBe(true);
  });

  it("pauses on a failing batch, then confirm continues the rollout once the version is fixed", async () => {
    await using env = await TestEnvironment.create({ update: ", failure_action: pause" });
    const [v1, bad, good] = [await appImage("v1"), await appImage("v3", false), await appImage("v2")];
    // A tag that first points at a broken build, then at a fixed one (a re-pushed tag).
    const flaky = `${APP}:flaky-${Math.random().toString(36).slice(2, 8)}`;
    await engine.tagImage((await engine.imageId(bad)) ?? "", flaky);
    try {
      await deployVersion(env.target("v1", v1), env.options());
      const err = await deployVersion(env.target("flaky", flaky), env.options()).catch((e: unknown) => e);
      expect(isDeployError(err, "SLIPWAY_E_DEPLOY_PAUSED")).toBe(true);
      await engine.tagImage((await engine.imageId(good)) ?? "", flaky);
      const done = await confirmDeployment(env.target("flaky", flaky), env.options());
      expect(done).toMatchObject({ version: "flaky", status: "success" });
      expect(await env.appImages()).toEqual([flaky, flaky, flaky]);
      expect(new Set(await sample(await env.lbUrl(), 6))).toEqual(new Set(["v2"]));
    } finally {
      await engine.removeImage(flaky).catch(() => {});
    }
  });
});
