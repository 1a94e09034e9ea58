import { describe, expect, it } from "vitest";
import { deployVersion, isDeployError, recoverInterrupted } from "../../../deploy/index.js";
import type { DeploymentRow } from "../../../store/index.js";
import { appImage, TestEnvironment } from "./helpers.js";

/**
 * One runner, two operations on one environment at once (a deploy stage and an explicit
 * `slipway deploy` of the same daemon): the second is refused exactly as another runner's
 * would be. The store's lock is re-entrant per holder, so each operation holds it under a
 * holder of its own.
 */
const KEY = { repository: "shop", environment: "staging" };

describe("the environment lock, per operation", () => {
  it("refuses a second deployment by the same runner while its first one runs", async () => {
    await using env = await TestEnvironment.create();
    const [v1, v2] = [await appImage("v1"), await appImage("v2")];
    let started!: (row: DeploymentRow) => void;
    const running = new Promise<DeploymentRow>((resolve) => {
      started = resolve;
    });
    const first = deployVersion(env.target("v1", v1), env.options({ onStarted: (row) => started(row) }));
    await running;
    const lock = await env.store.deployments.getLock(KEY);
    // Held by an operation of this runner: the runner's id, then the operation's own part.
    expect(lock?.holder).toMatch(/^test-runner\/[0-9a-f]{8}$/);
    const second = await deployVersion(env.target("v2", v2), env.options({ lockWaitMs: 0 })).catch((e: unknown) => e);
    expect(isDeployError(second, "SLIPWAY_E_DEPLOY_LOCKED")).toBe(true);
    expect((second as Error).message).toMatch(/being deployed by test-runner\//);
    expect(await first).toMatchObject({ status: "success", version: "v1" });
    expect(await env.store.deployments.getLock(KEY)).toBeUndefined();
    const history = await env.store.deployments.listDeployments(KEY);
    expect(history.map((d) => d.version)).toEqual(["v1"]);
  });

  it("at start-up, the runner's own operations' locks are a previous life's: released", async () => {
    await using env = await TestEnvironment.create();
    const records = env.store.deployments;
    const row = await records.createDeployment({
      ...KEY,
      version: "v1",
      previousVersion: null,
      strategy: "rolling",
      trigger: "cli",
      actor: null,
      runId: null,
      spec: {},
    });
    expect((await records.acquireLock(KEY, "test-runner/0badc0de", 60_000, row.id)).acquired).toBe(true);
    const recovered = await recoverInterrupted(records, "test-runner");
    expect(recovered.map((r) => [r.id, r.status])).toEqual([[row.id, "interrupted"]]);
    expect(await records.getLock(KEY)).toBeUndefined();
  });
});
