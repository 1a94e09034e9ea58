import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { codeOf, createTestDatabase, ENGINES, rawExec, type TestDatabase } from "./store-harness.js";

const env = { repository: "shop", environment: "staging" };

describe.each(ENGINES)("deployment state on %s", (engine) => {
  let db: TestDatabase;

  beforeEach(async () => {
    db = await createTestDatabase(engine);
  });
  afterEach(() => db.dispose());

  it("records a deployment with its batches and finds the last good version", async () => {
    const store = await db.open();
    const first = await store.deployments.createDeployment({
      ...env,
      version: "v1",
      strategy: "rolling",
      trigger: "cli",
      actor: "ann",
      spec: { services: { app: "h1" } },
    });
    expect(first).toMatchObject({ status: "running", version: "v1", previousVersion: null, actor: "ann" });
    await store.deployments.updateDeployment(first.id, { status: "success", outcome: "created", finishedAt: 5 });
    const second = await store.deployments.createDeployment({
      ...env,
      version: "v2",
      previousVersion: "v1",
      strategy: "rolling",
      trigger: "stage",
      runId: "run-1",
    });
    const started = Date.now();
    const batch = await store.deployments.addBatch(second.id, {
      phase: "update",
      service: "app",
      batch: 1,
      batches: 3,
      added: ["c-new"],
      removed: ["c-old"],
      status: "failed",
      health: [{ id: "c-new", state: "unhealthy", detail: "exit 1" }],
      startedAt: started,
      finishedAt: started + 10,
    });
    expect(batch.seq).toBe(1);
    await store.deployments.addBatch(second.id, { ...batch, phase: "rollback", status: "success", health: [] });
    const updated = await store.deployments.updateDeployment(second.id, {
      status: "rolled_back",
      rollbackReason: "app: 1 of 3 replicas unhealthy",
    });
    expect(updated).toMatchObject({ status: "rolled_back", rollbackReason: "app: 1 of 3 replicas unhealthy" });
    const batches = await store.deployments.listBatches(second.id);
    expect(batches.map((b) => [b.seq, b.phase, b.status, b.added, b.health.length])).toEqual([
      [1, "update", "failed", ["c-new"], 1],
      [2, "rollback", "success", ["c-new"], 0],
    ]);
    const history = await store.deployments.listDeployments(env);
    expect(history.map((d) => [d.version, d.status])).toEqual([
      ["v2", "rolled_back"],
      ["v1", "success"],
    ]);
    expect((await store.deployments.latestDeployment(env, ["success"]))?.version).toBe("v1");
    expect((await store.deployments.getDeployment(first.id))?.spec).toEqual({ services: { app: "h1" } });
    expect(await store.deployments.listDeployments({ ...env, environment: "production" })).toEqual([]);
  });

  it("records a deployment awaiting confirmation with the containers it keeps; migration 10 keeps rows and batches", async () => {
    const store = await db.open();
    const row = await store.deployments.createDeployment({
      ...env,
      version: "v2",
      strategy: "rolling",
      trigger: "cli",
      spec: { variables: { IMAGE: "a:v2" } },
    });
    await store.deployments.addBatch(row.id, {
      phase: "update",
      service: "app",
      batch: 1,
      batches: 1,
      added: ["new"],
      removed: ["old"],
      status: "success",
      health: [],
      startedAt: 1,
      finishedAt: 2,
    });
    const awaiting = await store.deployments.updateDeployment(row.id, {
      status: "awaiting_confirm",
      spec: { variables: { IMAGE: "a:v2" }, kept: { app: ["old"] } },
    });
    expect(awaiting).toMatchObject({ status: "awaiting_confirm", spec: { kept: { app: ["old"] } } });
    expect((await store.deployments.latestDeployment(env, ["awaiting_confirm"]))?.id).toBe(row.id);
    // Migration 10 once more over the rows (SQLite rebuilds the table): nothing is lost.
    await rawExec(db, "DELETE FROM schema_migrations WHERE version = 10");
    expect(await store.migrate()).toEqual({ applied: [10] });
    expect(await store.deployments.getDeployment(row.id)).toMatchObject({ status: "awaiting_confirm" });
    expect(await store.deployments.listBatches(row.id)).toHaveLength(1);
    await expect(store.deployments.updateDeployment(row.id, { status: "waiting" as never })).rejects.toThrow();
  });

  it("refuses a deployment without a version or with an unknown trigger", async () => {
    const store = await db.open();
    expect(
      await codeOf(store.deployments.createDeployment({ ...env, version: "", strategy: "rolling", trigger: "cli" })),
    ).toBe("SLIPWAY_E_STORE_BAD_ARGUMENT");
    expect(
      await codeOf(
        store.deployments.createDeployment({ ...env, version: "v1", strategy: "rolling", trigger: "bogus" as "cli" }),
      ),
    ).toBe("SLIPWAY_E_STORE_BAD_ARGUMENT");
  });

  it("gives an environment's lock to exactly one of many concurrent runners", async () => {
    const runners = await Promise.all([db.open(), db.open(), db.open()]);
    const attempts = await Promise.all(
      runners.flatMap((store, r) =>
        [0, 1, 2, 3].map((i) => store.deployments.acquireLock(env, `runner-${r}-${i}`, 60_000)),
      ),
    );
    const winners = attempts.filter((a) => a.acquired);
    expect(winners).toHaveLength(1);
    const holder = winners[0]?.acquired ? winners[0].lock.holder : "";
    for (const a of attempts) if (!a.acquired) expect(a.heldBy.holder).toBe(holder);
    // Another environment is independent.
    const other = await runners[0]?.deployments.acquireLock({ ...env, environment: "production" }, "x", 60_000);
    expect(other?.acquired).toBe(true);
  });

  it("releases, renews, and takes over only an expired lease", async () => {
    const [a, b] = await Promise.all([db.open(), db.open()]);
    if (!a || !b) throw new Error("stores");
    expect((await a.deployments.acquireLock(env, "a", 60_000)).acquired).toBe(true);
    expect((await b.deployments.acquireLock(env, "b", 60_000)).acquired).toBe(false);
    expect(await b.deployments.releaseLock(env, "b")).toBe(false);
    expect(await a.deployments.renewLock(env, "a", 60_000)).toBe(true);
    expect(await a.deployments.releaseLock(env, "a")).toBe(true);
    expect((await b.deployments.acquireLock(env, "b", 1)).acquired).toBe(true);
    await new Promise((r) => setTimeout(r, 20));
    // b's lease expired (its runner died): a takes over, and b can no longer renew.
    const taken = await a.deployments.acquireLock(env, "a", 60_000, "dep-1");
    expect(taken).toMatchObject({ acquired: true, lock: { holder: "a", deploymentId: "dep-1" } });
    expect(await b.deployments.renewLock(env, "b", 60_000)).toBe(false);
    expect((await b.deployments.getLock(env))?.holder).toBe("a");
  });
});
