import { createHash } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LATEST_VERSION, MIGRATIONS } from "../../../store/index.js";
import { codeOf, createTestDatabase, ENGINES, rawExec, readAll, type TestDatabase } from "./store-harness.js";

const sha = (text: string) => createHash("sha256").update(text).digest("hex");
const ALL_VERSIONS = MIGRATIONS.map((m) => m.version);

describe.each(ENGINES)("store schema and records on %s", (engine) => {
  let db: TestDatabase;

  beforeEach(async () => {
    db = await createTestDatabase(engine);
  });
  afterEach(() => db.dispose());

  it("applies versioned migrations once, in order", async () => {
    const store = await db.open({ migrate: false });
    expect(await store.schemaVersion()).toBe(0);
    expect(await store.migrate()).toEqual({ applied: ALL_VERSIONS });
    expect(await store.migrate()).toEqual({ applied: [] });
    expect(await store.schemaVersion()).toBe(LATEST_VERSION);
    const rows = await db.query("SELECT version, name FROM schema_migrations ORDER BY version");
    expect(rows.map((r) => Number(r.version))).toEqual(ALL_VERSIONS);
    expect(rows.map((r) => r.name)).toEqual(MIGRATIONS.map((m) => m.name));
  });

  it("migrates concurrently opened stores once", async () => {
    const stores = await Promise.all([db.open({ migrate: false }), db.open({ migrate: false })]);
    const results = await Promise.all(stores.map((s) => s.migrate()));
    expect(results.flatMap((r) => r.applied).sort((a, b) => a - b)).toEqual(ALL_VERSIONS);
  });

  it("upgrades a database from an older version", async () => {
    const store = await db.open();
    const owned = await store.createApiToken("ci");
    // Roll the database back to version 2 by hand, as an older Slipway left it: undo what
    // migration 3 and every later one created.
    await rawExec(db, "ALTER TABLE runs DROP COLUMN retry_from_stage");
    await rawExec(db, "ALTER TABLE runs DROP COLUMN resume_from_stage");
    await dropTablesOf(db, [
      "audit_events",
      "api_tokens",
      "deployment_batches",
      "deployments",
      "environment_locks",
      "notification_attempts",
      "notification_deliveries",
      "approvals",
      "deploy_queue",
    ]);
    await rawExec(db, "DELETE FROM schema_migrations WHERE version >= 3");
    expect(await store.schemaVersion()).toBe(2);
    expect(await store.migrate()).toEqual({ applied: ALL_VERSIONS.filter((v) => v >= 3) });
    expect(await store.verifyApiToken(owned.token)).toBeUndefined();
    await store.upsertRepository({ name: "r", url: "u" });
    const { run } = await store.createRun({
      repository: "r",
      ref: "develop",
      sha: "a",
      flowKind: "develop",
      trigger: "retry",
      retryFromStage: "check",
    });
    expect(run.retryFromStage).toBe("check");
  });

  it("applies a migration numbered below the database's highest one when it is missing", async () => {
    // Migrations land out of order while several branches are developed at once: a database
    // at version 8 that lacks 6 gets 6, rather than being taken as up to date by MAX(version).
    const store = await db.open();
    await dropTablesOf(db, ["environment_locks"]);
    await rawExec(db, "DELETE FROM schema_migrations WHERE version = 6");
    expect(await store.schemaVersion()).toBe(LATEST_VERSION);
    expect(await store.migrate()).toEqual({ applied: [6] });
    const lock = await store.deployments.acquireLock({ repository: "r", environment: "e" }, "me", 1000);
    expect(lock.acquired).toBe(true);
  });

  it("refuses a database migrated by a newer Slipway", async () => {
    await db.open();
    await rawExec(db, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 0)");
    expect(await codeOf(db.open())).toBe("SLIPWAY_E_STORE_SCHEMA_TOO_NEW");
  });

  it("prunes the logs of runs finished before the retention horizon, and nothing else", async () => {
    const store = await db.open();
    await store.upsertRepository({ name: "ret", url: "u" });
    const mk = async () =>
      (await store.createRun({ repository: "ret", ref: "develop", sha: "a", flowKind: "develop", trigger: "manual" }))
        .run;
    const [old, recent, running] = [await mk(), await mk(), await mk()];
    await store.updateRun(old.id, { status: "success", finishedAt: 1_000 });
    await store.updateRun(recent.id, { status: "success", finishedAt: 5_000 });
    for (const run of [old, recent, running]) {
      await store.appendLog(run.id, "build", "line\n");
      await store.appendLog(run.id, "_setup", "setup\n");
    }
    expect(await store.pruneLogs(2_000)).toBe(2);
    expect(await store.logSize(old.id, "build")).toBe(0);
    expect(await store.logSize(recent.id, "build")).toBe(5);
    expect(await store.logSize(running.id, "_setup")).toBe(6);
    expect((await store.getRun(old.id))?.status).toBe("success");
  });

  it("keeps everything across a close and reopen", async () => {
    const store = await db.open();
    await store.upsertRepository({ name: "acme/api", url: "u" });
    const { run } = await store.createRun({
      repository: "acme/api",
      ref: "v1.0.0",
      sha: "a",
      flowKind: "tag",
      trigger: "api",
    });
    await store.appendLog(run.id, "build", "hello\n");
    await store.close();
    await store.close();
    const again = await db.open();
    expect(await again.migrate()).toEqual({ applied: [] });
    expect(await again.getRun(run.id)).toEqual(run);
    expect(await readAll(again.readLog(run.id, "build"))).toBe("hello\n");
    expect(
      (
        await again.createRun({
          repository: "acme/api",
          ref: "develop",
          sha: "b",
          flowKind: "develop",
          trigger: "manual",
        })
      ).run.number,
    ).toBe(2);
    await again.ping();
  });

  it("stores API tokens only as digests", async () => {
    const store = await db.open();
    const created = await store.createApiToken("deploy-bot");
    expect(created.token).toMatch(/^slw_[A-Za-z0-9_-]{43}$/);
    expect(await store.verifyApiToken(created.token)).toEqual({ id: created.id, name: "deploy-bot" });
    expect(await store.verifyApiToken(`${created.token}x`)).toBeUndefined();
    expect(await store.verifyApiToken("")).toBeUndefined();

    const rows = await db.query("SELECT * FROM api_tokens");
    expect(rows).toHaveLength(1);
    expect(rows[0]!.token_sha256).toBe(sha(created.token));
    const dump = JSON.stringify(rows);
    expect(dump).not.toContain(created.token);
    expect(dump).not.toContain(created.token.slice(4, 24));

    expect(await store.revokeApiToken(created.id)).toBe(true);
    expect(await store.revokeApiToken(created.id)).toBe(false);
    expect(await store.verifyApiToken(created.token)).toBeUndefined();
    const [listed] = await store.listApiTokens();
    expect(listed).toMatchObject({ id: created.id, name: "deploy-bot" });
    expect(listed?.revokedAt).toBeTypeOf("number");
    expect(Object.keys(listed!)).not.toContain("token");
  });

  it("records audit events newest first", async () => {
    const store = await db.open();
    await store.addAuditEvent({ actor: "alice", action: "run.trigger", target: "acme/api#1" });
    await store.addAuditEvent({
      actor: "bob",
      action: "deploy.approve",
      target: "production",
      detail: { version: "v1" },
    });
    const third = await store.addAuditEvent({ actor: "api:ci", action: "token.revoke", target: "01ARZ" });
    const events = await store.listAuditEvents(2);
    expect(events.map((e) => e.action)).toEqual(["token.revoke", "deploy.approve"]);
    expect(events[0]).toEqual(third);
    expect(events[1]?.detail).toEqual({ version: "v1" });
    expect((await store.listAuditEvents())[2]).toMatchObject({ actor: "alice", detail: null });
  });

  it("indexes artifacts per run, replacing a re-added path", async () => {
    const store = await db.open();
    await store.upsertRepository({ name: "acme/api", url: "u" });
    const { run } = await store.createRun({
      repository: "acme/api",
      ref: "develop",
      sha: "a",
      flowKind: "develop",
      trigger: "push",
    });
    const bin = await store.addArtifact(run.id, { stage: "build", path: "out/api", size: 10, sha256: sha("1") });
    await store.addArtifact(run.id, { stage: "build", path: "out/api.sha", size: 64, sha256: sha("2") });
    await store.addArtifact(run.id, { stage: "build", path: "out/api", size: 12, sha256: sha("3") });
    const listed = await store.listArtifacts(run.id);
    expect(listed.map((a) => [a.path, a.size, a.sha256])).toEqual([
      ["out/api", 12, sha("3")],
      ["out/api.sha", 64, sha("2")],
    ]);
    expect(listed[0]?.id).toBe(bin.id);
    expect(await codeOf(store.addArtifact(run.id, { stage: "b", path: "p", size: 1, sha256: "nope" }))).toBe(
      "SLIPWAY_E_STORE_BAD_ARGUMENT",
    );
    const ghost = store.addArtifact("01ARZ3NDEKTSV4RRFFQ69G5FAV", { stage: "b", path: "p", size: 1, sha256: sha("") });
    expect(await codeOf(ghost)).toBe("SLIPWAY_E_STORE_RUN_NOT_FOUND");
  });
});

/** Statements the harness's read-only query helper cannot run. */
async function dropTablesOf(db: TestDatabase, tables: string[]): Promise<void> {
  for (const table of tables) await rawExec(db, `DROP TABLE ${table}`);
}
