import { describe, expect, it } from "vitest";
import { deployVersion, isDeployError, rollbackEnvironment } from "../../../deploy/index.js";
import { BlueGreenEnvironment } from "./blue-green-helpers.js";
import { appImage, sample, startLoad } from "./helpers.js";

/**
 * Blue-green behind Slipway's own HAProxy (published on 127.0.0.1, engine-chosen port), under
 * the rolling tests' load generator: requests without pause from two loops, bounded in time.
 */
describe("blue-green behind Slipway's proxy", () => {
  it("switches to the new colour and back (rollback) with zero failed requests", async () => {
    await using env = await BlueGreenEnvironment.create();
    const [v1, v2] = [await appImage("v1"), await appImage("v2")];
    const first = await deployVersion(env.target("v1", v1), env.options());
    expect(first).toMatchObject({ status: "success", strategy: "blue-green", spec: { colour: "blue" } });
    const url = await env.url();
    await waitServing(url, "v1");
    const load = await startLoad(url, { concurrency: 2, maxSeconds: 150 });
    try {
      const second = await deployVersion(env.target("v2", v2), env.options());
      expect(second).toMatchObject({
        status: "success",
        version: "v2",
        previousVersion: "v1",
        spec: { colour: "green" },
      });
      expect(await env.activeColour()).toBe("green");
      expect(new Set(await sample(url, 12))).toEqual(new Set(["v2"]));
      // The old colour stays up for an instant rollback.
      expect(await env.colourImages("blue")).toEqual([v1, v1]);
      const started = Date.now();
      env.lines.length = 0;
      const back = await rollbackEnvironment(env.target("v2", v2), env.options({ actor: "ann" }));
      const rollbackMs = Date.now() - started;
      expect(back).toMatchObject({ status: "success", version: "v1", trigger: "rollback", actor: "ann" });
      expect(back.spec).toMatchObject({ colour: "blue" });
      expect(await env.activeColour()).toBe("blue");
      expect(new Set(await sample(url, 12))).toEqual(new Set(["v1"]));
      // Nothing was redeployed or even resolved: blue still ran v1, healthy, so it was one switch.
      const batches = await env.store.deployments.listBatches(back.id);
      expect(batches.map((b) => b.service)).toEqual(["proxy"]);
      expect(back.outcome).toMatch(/switched back green → blue in \d+ ms; green stays up 600s/);
      expect(await env.colourImages("green")).toEqual([v2, v2]);
      console.log(`blue-green: ${second.outcome}; rollback: ${back.outcome}; the call took ${rollbackMs} ms`);
      console.log(env.lines.join("\n"));
    } finally {
      const report = await load.stop();
      console.log(`blue-green load: ${JSON.stringify(report)}`);
      expect(report.errors).toEqual([]);
      expect(report.failed).toBe(0);
      expect(report.ok).toBeGreaterThan(50);
      expect(report.versions.v1).toBeGreaterThan(0);
      expect(report.versions.v2).toBeGreaterThan(0);
    }
  });

  it("leaves traffic on the serving colour when the new one fails health; zero failed requests", async () => {
    await using env = await BlueGreenEnvironment.create();
    const [v1, bad] = [await appImage("v1"), await appImage("v3", false)];
    await deployVersion(env.target("v1", v1), env.options());
    const url = await env.url();
    await waitServing(url, "v1");
    const load = await startLoad(url, { concurrency: 2, maxSeconds: 120 });
    const err = await deployVersion(env.target("v3", bad), env.options()).catch((e: unknown) => e);
    const report = await load.stop();
    expect(isDeployError(err, "SLIPWAY_E_DEPLOY_UNHEALTHY")).toBe(true);
    expect(report.errors).toEqual([]);
    expect(report.failed).toBe(0);
    expect(Object.keys(report.versions)).toEqual(["v1"]);
    expect(await env.activeColour()).toBe("blue");
    expect(new Set(await sample(url, 12))).toEqual(new Set(["v1"]));
    // The broken colour serves nobody, so it was taken down again.
    expect(await env.colourImages("green")).toEqual([]);
    const [latest] = await env.store.deployments.listDeployments(env.key);
    expect(latest).toMatchObject({
      version: "v3",
      status: "failed",
      strategy: "blue-green",
      spec: { colour: "green" },
    });
    expect(latest?.outcome).toMatch(/green is not healthy: app .* (unhealthy|deadline)/);
    expect(latest?.outcome).toMatch(/blue keeps serving/);
  });

  it("runs the smoke command before the switch, scales the old colour down after the delay, and rolls back onto it by redeploying", async () => {
    // The smoke command runs in a container of the new colour, with the version in its environment.
    const smoke = `wget -q -O- http://127.0.0.1:8080/version | grep -qx "$SLIPWAY_NEW_VERSION"`;
    await using env = await BlueGreenEnvironment.create({ blueGreen: `, smoke: '${smoke}', scale_down_after: 3s` });
    const [v1, v2] = [await appImage("v1"), await appImage("v2")];
    await deployVersion(env.target("v1", v1), env.options());
    // A tag whose content is v2 while the deployment calls it "v9": the smoke test catches it.
    const err = await deployVersion(env.target("v9", v2), env.options()).catch((e: unknown) => e);
    expect(isDeployError(err, "SLIPWAY_E_DEPLOY_SMOKE_FAILED")).toBe(true);
    expect(await env.activeColour()).toBe("blue");
    // While a deployment of this same runner holds the environment, the delayed scale-down
    // waits: it is an operation of its own, with a lock holder of its own.
    const ok = await deployVersion(env.target("v2", v2), env.options());
    expect(ok).toMatchObject({ status: "success", spec: { colour: "green" } });
    expect((await env.store.deployments.acquireLock(env.key, "test-runner", 60_000)).acquired).toBe(true);
    await new Promise((r) => setTimeout(r, 5_000));
    expect(await env.colourImages("blue")).toEqual([v1, v1]);
    expect((await env.store.deployments.getLock(env.key))?.holder).toBe("test-runner");
    await env.store.deployments.releaseLock(env.key, "test-runner");
    const deadline = Date.now() + 20_000;
    while ((await env.colourImages("blue")).length > 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 250));
    expect(await env.colourImages("blue")).toEqual([]);
    expect(new Set(await sample(await env.url(), 6))).toEqual(new Set(["v2"]));
    // With blue gone, a rollback deploys v1 to blue again (health, smoke) before switching. The
    // scale-down may still hold the environment (compose down removes the network last): wait.
    const back = await rollbackEnvironment(env.target("v2", v2), env.options({ lockWaitMs: 30_000 }));
    expect(back).toMatchObject({ status: "success", version: "v1", trigger: "rollback", spec: { colour: "blue" } });
    const batches = await env.store.deployments.listBatches(back.id);
    expect(batches.map((b) => b.service)).toEqual(["blue/app", "proxy"]);
    expect(new Set(await sample(await env.url(), 6))).toEqual(new Set(["v1"]));
    // Every container and network of the environment carries Slipway's labels: the proxy's too.
    const labelled = await env.labelled();
    expect(labelled).toEqual(expect.arrayContaining([...(await env.composeResources("blue"))]));
    expect(labelled).toEqual(
      expect.arrayContaining([
        `container ${env.project}-proxy`,
        `network ${env.project}-proxy`,
        `network ${env.project}-blue_default`,
      ]),
    );
  });
});

async function waitServing(url: string, version: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const got = await sample(url, 3).catch(() => []);
    if (got.length === 3 && got.every((v) => v === version)) return;
    if (Date.now() > deadline) throw new Error(`the proxy never served ${version}: ${got.join(",")}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
