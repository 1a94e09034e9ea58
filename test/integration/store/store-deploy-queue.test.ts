import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { QueueEntryInput } from "../../../store/index.js";
import { codeOf, createTestDatabase, ENGINES, type TestDatabase } from "./store-harness.js";

const env = { repository: "shop", environment: "staging" };

function entry(runNumber: number, runner: string, extra: Partial<QueueEntryInput> = {}): QueueEntryInput {
  return { ...env, runId: `run-${runNumber}`, stage: "deploy", runNumber, runner, ...extra };
}

describe.each(ENGINES)("deploy queue on %s", (engine) => {
  let db: TestDatabase;

  beforeEach(async () => {
    db = await createTestDatabase(engine);
  });
  afterEach(() => db.dispose());

  it("keeps one order for the entries of every runner, per environment", async () => {
    const [a, b] = [await db.open(), await db.open()];
    const first = await a.deployQueue.join(entry(3, "runner-a"), 60_000);
    const second = await b.deployQueue.join(entry(2, "runner-b"), 60_000);
    await a.deployQueue.join(entry(4, "runner-a", { environment: "production" }), 60_000);
    expect(second.seq).toBeGreaterThan(first.seq);
    for (const store of [a, b]) {
      expect((await store.deployQueue.list(env)).map((e) => [e.runNumber, e.runner, e.stage])).toEqual([
        [3, "runner-a", "deploy"],
        [2, "runner-b", "deploy"],
      ]);
    }
    expect((await b.deployQueue.list({ ...env, environment: "production" })).map((e) => e.runNumber)).toEqual([4]);
    expect(await a.deployQueue.leave(first.seq)).toBe(true);
    expect(await a.deployQueue.leave(first.seq)).toBe(false);
    expect((await b.deployQueue.list(env)).map((e) => e.runNumber)).toEqual([2]);
  });

  it("puts a stage that joins again at the end, in one entry", async () => {
    const store = await db.open();
    await store.deployQueue.join(entry(1, "r"), 60_000);
    await store.deployQueue.join(entry(2, "r"), 60_000);
    const again = await store.deployQueue.join(entry(1, "r"), 60_000);
    expect((await store.deployQueue.list(env)).map((e) => [e.runNumber, e.seq])).toEqual([
      [2, again.seq - 1],
      [1, again.seq],
    ]);
  });

  it("drops an entry whose lease expired (its runner died), and does not revive it", async () => {
    const [live, dead] = [await db.open(), await db.open()];
    const gone = await dead.deployQueue.join(entry(7, "dead-runner"), 1);
    const kept = await live.deployQueue.join(entry(6, "live-runner"), 60_000);
    await new Promise((r) => setTimeout(r, 10));
    expect((await live.deployQueue.list(env)).map((e) => e.runNumber)).toEqual([6]);
    expect((await db.query("SELECT run_number FROM deploy_queue")).map((r) => Number(r.run_number))).toEqual([6]);
    expect(await dead.deployQueue.renew(gone.seq, 60_000)).toBe(false);
    expect(await live.deployQueue.renew(kept.seq, 60_000)).toBe(true);
  });

  it("removes every entry of a runner (a previous life's) and only those", async () => {
    const store = await db.open();
    await store.deployQueue.join(entry(1, "me"), 60_000);
    await store.deployQueue.join(entry(2, "other"), 60_000);
    await store.deployQueue.join(entry(3, "me", { environment: "production" }), 60_000);
    expect(await store.deployQueue.leaveAll("me")).toBe(2);
    expect((await db.query("SELECT runner FROM deploy_queue")).map((r) => r.runner)).toEqual(["other"]);
  });

  it("refuses an entry without a run number or a runner", async () => {
    const store = await db.open();
    expect(await codeOf(store.deployQueue.join(entry(0, "r"), 1000))).toBe("SLIPWAY_E_STORE_BAD_ARGUMENT");
    expect(await codeOf(store.deployQueue.join(entry(1, ""), 1000))).toBe("SLIPWAY_E_STORE_BAD_ARGUMENT");
  });
});
