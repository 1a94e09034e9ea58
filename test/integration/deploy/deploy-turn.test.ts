import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { awaitDeployTurn, type DeployTurn } from "../../../deploy/index.js";
import type { Store } from "../../../store/index.js";
import { createTestDatabase, ENGINES, type TestDatabase } from "../store/store-harness.js";

const POLL = { pollMs: 20 };

/**
 * Deploy stages taking turns at an environment through the store's queue, with one `Store`
 * per runner on one database: the order and the superseding hold across runners, and only
 * stages waiting at the same time supersede each other.
 */
describe.each(ENGINES)("deploy turns on %s", (engine) => {
  let db: TestDatabase;
  let a: Store;
  let b: Store;
  const turn = (store: Store, runNumber: number, environment = "staging", repository = "shop") =>
    awaitDeployTurn(
      { queue: store.deployQueue, locks: store.deployments },
      {
        repository,
        environment,
        runId: `${repository}-${runNumber}`,
        stage: "deploy",
        runNumber,
        runner: store === a ? "a" : "b",
      },
      POLL,
    );
  const settled = async (p: Promise<DeployTurn>) =>
    Promise.race([p.then(() => "in"), new Promise((r) => setTimeout(() => r("waiting"), 150))]);

  beforeEach(async () => {
    db = await createTestDatabase(engine);
    [a, b] = [await db.open(), await db.open()];
  });
  afterEach(() => db.dispose());

  it("lets the deploys of one environment in one at a time, in order, across runners", async () => {
    const first = await turn(a, 1);
    const second = turn(b, 2);
    expect(await settled(second)).toBe("waiting");
    await first.release();
    const t2 = await second;
    expect(t2.superseded).toBeUndefined();
    await t2.release();
    expect(await db.query("SELECT seq FROM deploy_queue")).toEqual([]);
  });

  it("supersedes an older waiting deploy on one runner by a newer one waiting on another", async () => {
    const holder = await turn(a, 5);
    const older = turn(b, 6);
    expect(await settled(older)).toBe("waiting");
    const newer = turn(a, 7);
    expect(await settled(newer)).toBe("waiting");
    await holder.release();
    const t6 = await older;
    expect(t6.superseded).toBe(7);
    expect(await settled(newer)).toBe("waiting");
    await t6.release();
    const t7 = await newer;
    expect(t7.superseded).toBeUndefined();
    await t7.release();
  });

  it("waits for the environment lock of an explicit deploy, and is superseded by a newer deploy queued meanwhile", async () => {
    const key = { repository: "shop", environment: "staging" };
    expect((await a.deployments.acquireLock(key, "operator", 60_000)).acquired).toBe(true);
    const older = turn(b, 2);
    expect(await settled(older)).toBe("waiting");
    const newer = turn(a, 3);
    expect(await settled(newer)).toBe("waiting");
    await a.deployments.releaseLock(key, "operator");
    const t2 = await older;
    expect(t2.superseded).toBe(3);
    await t2.release();
    const t3 = await newer;
    expect(t3.superseded).toBeUndefined();
    await t3.release();
  });

  it("deploys a retry of an older run after a newer one has finished (nothing newer is waiting)", async () => {
    const ten = await turn(a, 10);
    await ten.release();
    const nine = await turn(b, 9);
    expect(nine.superseded).toBeUndefined();
    await nine.release();
  });

  it("keeps environments and repositories independent", async () => {
    const staging = await turn(a, 1);
    const production = await turn(b, 1, "production");
    const other = await turn(b, 2, "staging", "blog");
    expect([staging.superseded, production.superseded, other.superseded]).toEqual([undefined, undefined, undefined]);
    for (const t of [staging, production, other]) await t.release();
  });

  it("does not wait behind, nor get superseded by, a dead runner's entries", async () => {
    // A runner that died: its entries are never renewed, so they expire.
    const ahead = { repository: "shop", environment: "staging", stage: "deploy", runner: "dead" };
    await b.deployQueue.join({ ...ahead, runId: "dead-1", runNumber: 1 }, 400);
    const mine = turn(a, 2);
    await b.deployQueue.join({ ...ahead, runId: "dead-3", runNumber: 3 }, 100);
    const t2 = await mine;
    expect(t2.superseded).toBeUndefined();
    await t2.release();
  });

  it("leaves the queue when the waiting stage is cancelled", async () => {
    const holder = await turn(a, 1);
    const cancel = new AbortController();
    const waiting = awaitDeployTurn(
      { queue: b.deployQueue, locks: b.deployments },
      { repository: "shop", environment: "staging", runId: "shop-2", stage: "deploy", runNumber: 2, runner: "b" },
      { ...POLL, signal: cancel.signal },
    );
    expect(await settled(waiting)).toBe("waiting");
    cancel.abort(new Error("cancelled by ann"));
    await expect(waiting).rejects.toThrow("cancelled by ann");
    expect((await a.deployQueue.list({ repository: "shop", environment: "staging" })).map((e) => e.runNumber)).toEqual([
      1,
    ]);
    await holder.release();
  });
});
