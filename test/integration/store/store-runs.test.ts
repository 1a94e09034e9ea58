import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { NewRun, Store } from "../../../store/index.js";
import { codeOf, createTestDatabase, ENGINES, type TestDatabase } from "./store-harness.js";

const run = (over: Partial<NewRun> = {}): NewRun => ({
  repository: "acme/api",
  ref: "develop",
  sha: "0123abcd",
  flowKind: "develop",
  trigger: "push",
  ...over,
});

describe.each(ENGINES)("store runs on %s", (engine) => {
  let db: TestDatabase;
  let store: Store;

  beforeEach(async () => {
    db = await createTestDatabase(engine);
    store = await db.open();
    await store.upsertRepository({ name: "acme/api", url: "https://git.example/acme/api.git" });
    await store.upsertRepository({ name: "acme/web", url: "https://git.example/acme/web.git", config: { poll: 60 } });
  });
  afterEach(() => db.dispose());

  it("upserts repositories, keeping config unless a new one is given", async () => {
    const updated = await store.upsertRepository({ name: "acme/web", url: "ssh://git.example/acme/web.git" });
    expect(updated).toMatchObject({ url: "ssh://git.example/acme/web.git", config: { poll: 60 }, lastRunNumber: 0 });
    await store.upsertRepository({ name: "acme/web", url: updated.url, config: { poll: 5 } });
    expect((await store.getRepository("acme/web"))?.config).toEqual({ poll: 5 });
    expect((await store.listRepositories()).map((r) => r.name)).toEqual(["acme/api", "acme/web"]);
    expect(await store.getRepository("nope")).toBeUndefined();
  });

  it("creates queued runs with every field and refuses unknown repositories", async () => {
    const { run: created, duplicate } = await store.createRun(
      run({ actor: "alice", version: "develop-1", pipelineSnapshot: "name: api\n", trigger: "manual" }),
    );
    expect(duplicate).toBe(false);
    expect(created).toMatchObject({
      repository: "acme/api",
      number: 1,
      status: "queued",
      actor: "alice",
      trigger: "manual",
      version: "develop-1",
      pipelineSnapshot: "name: api\n",
      owner: null,
      startedAt: null,
    });
    expect(created.id).toMatch(/^[0-9A-Z]{26}$/);
    expect(await store.getRun(created.id)).toEqual(created);
    expect(await store.getRunByNumber("acme/api", 1)).toEqual(created);
    const retry = await store.createRun(run({ trigger: "retry", retryOf: created.id }));
    expect(retry.run).toMatchObject({ number: 2, retryOf: created.id });
    expect(await codeOf(store.createRun(run({ repository: "ghost" })))).toBe("SLIPWAY_E_STORE_UNKNOWN_REPOSITORY");
  });

  it("allocates distinct consecutive numbers to 50 concurrent creates", async () => {
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => store.createRun(run({ sha: `s${i}` }))));
    expect(results.map((r) => r.run.number).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect((await store.getRepository("acme/api"))?.lastRunNumber).toBe(50);
  });

  it("allocates numbers across two store instances sharing the database", async () => {
    const other = await db.open();
    const creates = Array.from({ length: 50 }, (_, i) => (i % 2 ? store : other).createRun(run({ sha: `s${i}` })));
    const numbers = (await Promise.all(creates)).map((r) => r.run.number).sort((a, b) => a - b);
    expect(numbers).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
  });

  it("deduplicates by key per repository without consuming run numbers", async () => {
    const first = await store.createRun(run({ dedupeKey: "delivery-1" }));
    const again = await store.createRun(run({ dedupeKey: "delivery-1", sha: "other" }));
    expect(again).toEqual({ run: first.run, duplicate: true });
    const elsewhere = await store.createRun(run({ repository: "acme/web", dedupeKey: "delivery-1" }));
    expect(elsewhere.duplicate).toBe(false);
    expect((await store.createRun(run({ dedupeKey: "poll:develop:0123abcd" }))).run.number).toBe(2);
  });

  it("creates one run for concurrent creates with the same key", async () => {
    const other = await db.open();
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => (i % 2 ? store : other).createRun(run({ dedupeKey: "same" }))),
    );
    expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
    expect(new Set(results.map((r) => r.run.id)).size).toBe(1);
    expect((await store.createRun(run())).run.number).toBe(2);
  });

  it("pages through 120 runs newest first with no duplicates or gaps, and filters", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 120; i++) {
      const { run: r } = await store.createRun(
        run({ repository: i % 3 ? "acme/api" : "acme/web", ref: i % 2 ? "develop" : "feature/x", sha: `s${i}` }),
      );
      ids.push(r.id);
      if (i % 4 === 0) await store.updateRun(r.id, { status: "success" });
    }
    const seen: string[] = [];
    const sizes: number[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.listRuns({ limit: 50, cursor });
      sizes.push(page.runs.length);
      seen.push(...page.runs.map((r) => r.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(sizes).toEqual([50, 50, 20]);
    expect(seen).toEqual([...ids].reverse());

    const filtered: string[] = [];
    cursor = undefined;
    do {
      const page = await store.listRuns({ repository: "acme/api", ref: "develop", limit: 7, cursor });
      filtered.push(...page.runs.map((r) => r.id));
      expect(page.runs.every((r) => r.repository === "acme/api" && r.ref === "develop")).toBe(true);
      cursor = page.nextCursor;
    } while (cursor);
    expect(filtered).toHaveLength(ids.filter((_, i) => i % 3 && i % 2).length);
    expect((await store.listRuns({ status: "success", limit: 500 })).runs).toHaveLength(30);
    expect((await store.listRuns({ flowKind: "feature", limit: 10 })).runs).toHaveLength(0);
    expect((await store.listRuns()).runs).toHaveLength(50);
    expect(await codeOf(store.listRuns({ limit: 0 }))).toBe("SLIPWAY_E_STORE_BAD_ARGUMENT");
    expect(await codeOf(store.listRuns({ cursor: "'; DROP TABLE runs" }))).toBe("SLIPWAY_E_STORE_BAD_ARGUMENT");
  });

  it("updates runs, conditionally with ifStatus", async () => {
    const { run: r } = await store.createRun(run());
    const done = await store.updateRun(r.id, { status: "failed", error: "boom", finishedAt: 1_700_000_000_000 });
    expect(done).toMatchObject({ status: "failed", error: "boom", finishedAt: 1_700_000_000_000 });
    expect(await store.updateRun(r.id, { status: "cancelled" }, { ifStatus: ["queued", "running"] })).toBeUndefined();
    expect((await store.getRun(r.id))?.status).toBe("failed");
    expect(await store.updateRun(r.id, { error: null, version: "develop-1" })).toMatchObject({ error: null });
    expect(await store.updateRun("01ARZ3NDEKTSV4RRFFQ69G5FAV", { status: "success" })).toBeUndefined();
    expect(await codeOf(store.updateRun(r.id, { status: "done" as never }))).toBe("SLIPWAY_E_STORE_BAD_ARGUMENT");
  });

  it("never lets two store instances claim the same run", async () => {
    const other = await db.open();
    const created = new Set<string>();
    for (let i = 0; i < 30; i++) created.add((await store.createRun(run({ sha: `s${i}` }))).run.id);
    const claimer = async (s: Store, runner: string) => {
      const mine: string[] = [];
      for (let r = await s.claimNextQueued(runner); r; r = await s.claimNextQueued(runner)) {
        expect(r).toMatchObject({ status: "running", owner: runner });
        expect(r.startedAt).toBeTypeOf("number");
        mine.push(r.id);
      }
      return mine;
    };
    const claims = await Promise.all(
      Array.from({ length: 8 }, (_, i) => claimer(i % 2 ? store : other, i % 2 ? "runner-a" : "runner-b")),
    );
    const all = claims.flat();
    expect(all).toHaveLength(30);
    expect(new Set(all)).toEqual(created);
    const a = await store.listRunsByStatus("running", { owner: "runner-a" });
    const b = await store.listRunsByStatus("running", { owner: "runner-b" });
    expect(a.length + b.length).toBe(30);
    expect(await store.listRunsByStatus("queued")).toEqual([]);
  });

  it("claims the oldest queued run first", async () => {
    const first = (await store.createRun(run())).run;
    await store.createRun(run());
    expect((await store.claimNextQueued("r1"))?.id).toBe(first.id);
  });

  it("upserts stages, keeping optional fields not given again", async () => {
    const { run: r } = await store.createRun(run());
    await store.upsertStage(r.id, { name: "build", type: "build", position: 0, status: "running", startedAt: 1000 });
    await store.upsertStage(r.id, { name: "package", type: "package", position: 1, status: "pending" });
    await store.upsertStage(r.id, {
      name: "build",
      type: "build",
      position: 0,
      status: "success",
      finishedAt: 3500,
      durationMs: 2500,
      detail: "2 artifacts",
    });
    expect(await store.listStages(r.id)).toEqual([
      {
        runId: r.id,
        name: "build",
        type: "build",
        position: 0,
        status: "success",
        startedAt: 1000,
        finishedAt: 3500,
        durationMs: 2500,
        detail: "2 artifacts",
      },
      expect.objectContaining({ name: "package", status: "pending", startedAt: null }),
    ]);
    const missing = store.upsertStage("01ARZ3NDEKTSV4RRFFQ69G5FAV", {
      name: "x",
      type: "build",
      position: 0,
      status: "running",
    });
    expect(await codeOf(missing)).toBe("SLIPWAY_E_STORE_RUN_NOT_FOUND");
  });
});
