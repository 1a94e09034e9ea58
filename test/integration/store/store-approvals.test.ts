import { join } from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MIGRATIONS, type Store } from "../../../store/index.js";
import { createTestDatabase, ENGINES, readAll, type TestDatabase } from "./store-harness.js";

/**
 * Applies every migration but 7 by hand: a database a Slipway without approvals left, with
 * the later migrations (8, notifications) already there, since versions land out of order.
 */
async function migrateAllBut7(db: TestDatabase): Promise<void> {
  const older = MIGRATIONS.filter((m) => m.version !== 7);
  const bookkeeping =
    "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)";
  const rows = older.map((m) => `INSERT INTO schema_migrations VALUES (${m.version}, 'v${m.version}', 0)`);
  if (db.engine === "sqlite") {
    const raw = new Database(join(db.dataDir, "slipway.db"));
    try {
      raw.pragma("foreign_keys = ON");
      raw.exec([bookkeeping, ...older.map((m) => m.sqlite), ...rows].join(";\n"));
    } finally {
      raw.close();
    }
    return;
  }
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    await client.query([bookkeeping, ...older.map((m) => m.postgres), ...rows].join(";\n"));
  } finally {
    await client.end();
  }
}

async function seedRun(store: Store) {
  await store.upsertRepository({ name: "shop", url: "/srv/shop.git" });
  const { run } = await store.createRun({
    repository: "shop",
    ref: "refs/heads/develop",
    sha: "a".repeat(40),
    flowKind: "develop",
    trigger: "manual",
  });
  return run;
}

describe.each(ENGINES)("waiting runs and approvals on %s", (engine) => {
  let db: TestDatabase;
  beforeEach(async () => {
    db = await createTestDatabase(engine);
  });
  afterEach(() => db.dispose());

  it("migration 7 upgrades a database without it without losing runs, stages, logs or artifacts", async () => {
    await migrateAllBut7(db);
    const old = await db.open({ migrate: false });
    expect(await old.schemaVersion()).toBe(Math.max(...MIGRATIONS.map((m) => m.version).filter((v) => v !== 7)));
    const run = await seedRun(old);
    const retry = (
      await old.createRun({
        repository: "shop",
        ref: run.ref,
        sha: run.sha,
        flowKind: "develop",
        trigger: "retry",
        retryOf: run.id,
      })
    ).run;
    await old.upsertStage(run.id, { name: "build", type: "build", position: 0, status: "success", detail: "ok" });
    await old.appendLog(run.id, "build", "line one\nline two\n");
    await old.addArtifact(run.id, { stage: "build", path: "out/app", size: 3, sha256: "f".repeat(64) });
    await old.updateRun(run.id, { status: "success", finishedAt: 7 });
    // Without 7 a waiting run cannot be written at all.
    await expect(old.updateRun(retry.id, { status: "waiting" })).rejects.toThrow();
    await old.close();

    const store = await db.open({ migrate: false });
    expect(await store.migrate()).toEqual({ applied: [7] });
    expect(await store.getRun(run.id)).toMatchObject({ status: "success", finishedAt: 7, resumeFromStage: null });
    expect((await store.getRun(retry.id))?.retryOf).toBe(run.id);
    expect(await store.listStages(run.id)).toMatchObject([{ name: "build", status: "success", detail: "ok" }]);
    expect(await readAll(store.readLog(run.id, "build"))).toBe("line one\nline two\n");
    expect(await store.listArtifacts(run.id)).toMatchObject([{ path: "out/app", size: 3 }]);
    const parked = await store.updateRun(retry.id, { status: "waiting", resumeFromStage: "deploy" });
    expect(parked).toMatchObject({ status: "waiting", resumeFromStage: "deploy" });
    await store.upsertStage(retry.id, { name: "deploy", type: "deploy", position: 1, status: "waiting" });
    expect((await store.listRunsByStatus("waiting")).map((r) => r.id)).toEqual([retry.id]);
    // The rebuilt tables take new rows that reference them.
    await store.approvals.openGate({
      runId: retry.id,
      stage: "deploy",
      repository: "shop",
      environment: "prod",
      approvalRequired: true,
      waitingFor: "approval",
    });
    const count = async (table: string) => Number((await db.query(`SELECT COUNT(*) AS n FROM ${table}`))[0]?.n);
    expect(await count("approvals")).toBe(1);
    expect(await count("stages")).toBe(2);
  });

  it("records a gate, decides it once, keeps decisions when the wait changes, and records an override", async () => {
    const store = await db.open();
    const run = await seedRun(store);
    const key = { runId: run.id, stage: "deploy", repository: "shop", environment: "production" };
    const opened = await store.approvals.openGate({
      ...key,
      approvalRequired: true,
      waitingFor: "approval",
      reason: "approve me",
      expiresAt: 12345,
    });
    expect(opened).toMatchObject({
      state: "pending",
      waitingFor: "approval",
      reason: "approve me",
      expiresAt: 12345,
      decidedBy: null,
    });
    const approved = await store.approvals.decide(run.id, "deploy", {
      state: "approved",
      actor: "ann",
      comment: "go",
      from: ["pending"],
    });
    expect(approved).toMatchObject({ state: "approved", decidedBy: "ann", comment: "go" });
    expect(approved?.decidedAt).toBeGreaterThan(0);
    // A second decision on the same gate loses: the first one stands.
    expect(
      await store.approvals.decide(run.id, "deploy", { state: "rejected", actor: "bob", from: ["pending"] }),
    ).toBeUndefined();
    // Waiting again (for the window) keeps the approval and its deadline.
    const again = await store.approvals.openGate({
      ...key,
      approvalRequired: true,
      waitingFor: "window",
      reason: "closed",
      windowOpensAt: 99,
      expiresAt: 1,
    });
    expect(again).toMatchObject({
      state: "approved",
      decidedBy: "ann",
      waitingFor: "window",
      windowOpensAt: 99,
      expiresAt: 12345,
    });
    const first = await store.approvals.overrideWindow(run.id, "deploy", "carol");
    await store.approvals.overrideWindow(run.id, "deploy", "dave");
    expect((await store.approvals.getGate(run.id, "deploy"))?.windowOverrideBy).toBe("carol");
    expect(first?.windowOverrideAt).toBeGreaterThan(0);
    await store.approvals.clearWait(run.id, "deploy");
    expect(await store.approvals.listGates(run.id)).toMatchObject([
      { stage: "deploy", waitingFor: null, state: "approved" },
    ]);
    const windowOnly = await store.approvals.openGate({
      ...key,
      stage: "deploy-2",
      approvalRequired: false,
      waitingFor: "window",
    });
    expect(windowOnly.state).toBe("not_required");
  });
});
