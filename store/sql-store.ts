import { createToken, listTokens, revokeToken, verifyToken } from "./api-tokens.js";
import type { ApprovalStore } from "./approval-types.js";
import { SqlApprovalStore } from "./approvals.js";
import { SqlDeployQueue } from "./deploy-queue.js";
import type { DeployQueueStore } from "./deploy-queue-types.js";
import type { DeploymentStore } from "./deployment-types.js";
import { SqlDeploymentStore } from "./deployments.js";
import { badArgument, runNotFound, StoreError } from "./errors.js";
import { newUlid } from "./ids.js";
import { appendLogChunks, logStreamSize, readLogChunks } from "./log-chunks.js";
import { runMigrations, schemaVersion } from "./migrations.js";
import type { NotificationStore } from "./notification-types.js";
import { SqlNotificationStore } from "./notifications.js";
import { toArtifact, toAuditEvent, toRepository, toRun, toStage } from "./rows.js";
import { checkLimit, checkStatus, listRunsQuery, toRunPage, updateRunQuery } from "./run-queries.js";
import { Rollback, type SqlDriver } from "./sql-driver.js";
import type { Store } from "./store.js";
import {
  type ApiTokenRow,
  type ArtifactInput,
  type ArtifactRow,
  type AuditEventInput,
  type AuditEventRow,
  type CreateRunResult,
  type LogAppend,
  type NewApiToken,
  type NewRun,
  type RepositoryInput,
  type RepositoryRow,
  RUN_TRIGGERS,
  type RunFilter,
  type RunPage,
  type RunPatch,
  type RunRow,
  type RunStatus,
  STAGE_STATUSES,
  type StageInput,
  type StageRow,
} from "./types.js";

/** The `Store` on top of an engine's `SqlDriver`: one implementation, two engines. */
export class SqlStore implements Store {
  readonly engine: "sqlite" | "postgres";
  readonly location: string;
  readonly deployments: DeploymentStore;
  readonly deployQueue: DeployQueueStore;
  readonly notifications: NotificationStore;
  readonly approvals: ApprovalStore;
  #closed = false;

  constructor(private readonly db: SqlDriver) {
    this.engine = db.engine;
    this.location = db.location;
    this.deployments = new SqlDeploymentStore(db);
    this.deployQueue = new SqlDeployQueue(db);
    this.notifications = new SqlNotificationStore(db);
    this.approvals = new SqlApprovalStore(db);
  }

  migrate(): Promise<{ applied: number[] }> {
    return runMigrations(this.db);
  }

  schemaVersion(): Promise<number> {
    return schemaVersion(this.db);
  }

  async ping(): Promise<void> {
    try {
      await this.db.get("SELECT 1 AS ok");
    } catch (err) {
      throw new StoreError("SLIPWAY_E_STORE_UNREACHABLE", `${this.location}: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.db.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async upsertRepository(input: RepositoryInput): Promise<RepositoryRow> {
    if (!input.name) throw badArgument("a repository needs a name");
    const now = Date.now();
    const config = input.config === undefined ? null : JSON.stringify(input.config);
    const row = await this.db.get(
      `INSERT INTO repositories (name, url, config, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (name) DO UPDATE
         SET url = excluded.url, config = COALESCE(?, repositories.config), updated_at = excluded.updated_at
       RETURNING *`,
      [input.name, input.url, config ?? "{}", now, now, config],
    );
    return toRepository(row!);
  }

  async getRepository(name: string): Promise<RepositoryRow | undefined> {
    const row = await this.db.get("SELECT * FROM repositories WHERE name = ?", [name]);
    return row && toRepository(row);
  }

  async listRepositories(): Promise<RepositoryRow[]> {
    return (await this.db.all("SELECT * FROM repositories ORDER BY name")).map(toRepository);
  }

  /**
   * The counter bump comes first: it row-locks the repository (PostgreSQL) or runs under the
   * database write lock (SQLite), so the dedupe check after it sees every committed run and
   * concurrent creates queue on the lock. A duplicate rolls the bump back, keeping numbers gapless.
   */
  async createRun(input: NewRun): Promise<CreateRunResult> {
    if (!RUN_TRIGGERS.includes(input.trigger)) throw badArgument(`unknown trigger "${input.trigger}"`);
    if (input.dedupeKey !== undefined) {
      // Cheap path for redelivered webhooks and repeated polls: no write lock needed.
      const existing = await this.#byDedupeKey(input.repository, input.dedupeKey);
      if (existing) return { run: existing, duplicate: true };
    }
    try {
      return await this.db.transaction(async (q) => {
        const repo = await q.get(
          "UPDATE repositories SET last_run_number = last_run_number + 1 WHERE name = ? RETURNING last_run_number",
          [input.repository],
        );
        if (!repo) {
          throw new StoreError(
            "SLIPWAY_E_STORE_UNKNOWN_REPOSITORY",
            `repository ${input.repository} is not registered`,
          );
        }
        if (input.dedupeKey !== undefined) {
          const existing = await q.get("SELECT * FROM runs WHERE repository = ? AND dedupe_key = ?", [
            input.repository,
            input.dedupeKey,
          ]);
          if (existing) throw new Rollback<CreateRunResult>({ run: toRun(existing), duplicate: true });
        }
        const row = await q.get(
          `INSERT INTO runs (id, repository, number, ref, sha, flow_kind, version, trigger_kind, actor, status,
             dedupe_key, retry_of, retry_from_stage, pipeline_snapshot, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?, ?) RETURNING *`,
          [
            newUlid(),
            input.repository,
            Number(repo.last_run_number),
            input.ref,
            input.sha,
            input.flowKind,
            input.version ?? null,
            input.trigger,
            input.actor ?? null,
            input.dedupeKey ?? null,
            input.retryOf ?? null,
            input.retryFromStage ?? null,
            input.pipelineSnapshot ?? null,
            Date.now(),
          ],
        );
        return { run: toRun(row!), duplicate: false };
      });
    } catch (err) {
      if (err instanceof Rollback) return err.value as CreateRunResult;
      throw err;
    }
  }

  async #byDedupeKey(repository: string, key: string): Promise<RunRow | undefined> {
    const row = await this.db.get("SELECT * FROM runs WHERE repository = ? AND dedupe_key = ?", [repository, key]);
    return row && toRun(row);
  }

  async getRun(id: string): Promise<RunRow | undefined> {
    const row = await this.db.get("SELECT * FROM runs WHERE id = ?", [id]);
    return row && toRun(row);
  }

  async getRunByNumber(repository: string, number: number): Promise<RunRow | undefined> {
    const row = await this.db.get("SELECT * FROM runs WHERE repository = ? AND number = ?", [repository, number]);
    return row && toRun(row);
  }

  async listRuns(filter: RunFilter = {}): Promise<RunPage> {
    const { sql, params, limit } = listRunsQuery(filter, await this.listColumns());
    return toRunPage(await this.db.all(sql, params), limit);
  }

  #listColumns: string | undefined;

  /**
   * Every column of `runs` but the pipeline snapshot (up to 1 MiB a run): a page of 500 runs
   * must not carry 500 pipeline files. Read from the schema, so later migrations' columns are
   * listed too; `pipelineSnapshot` is null in list results (`getRun` has it).
   */
  private async listColumns(): Promise<string> {
    if (this.#listColumns) return this.#listColumns;
    const rows =
      this.db.engine === "sqlite"
        ? await this.db.all("SELECT name FROM pragma_table_info('runs')")
        : await this.db.all(
            "SELECT column_name AS name FROM information_schema.columns WHERE table_name = 'runs' AND table_schema = current_schema() ORDER BY ordinal_position",
          );
    const names = rows
      .map((r) => String(r.name))
      .filter((n) => n !== "pipeline_snapshot" && /^[a-z_][a-z0-9_]*$/.test(n));
    // Until migrated there is no table to describe; `*` then fails the same way any query would.
    if (names.length === 0) return "*";
    this.#listColumns = names.join(", ");
    return this.#listColumns;
  }

  async listRunsByStatus(status: RunStatus, opts: { owner?: string } = {}): Promise<RunRow[]> {
    checkStatus(status);
    const rows =
      opts.owner === undefined
        ? await this.db.all("SELECT * FROM runs WHERE status = ? ORDER BY id", [status])
        : await this.db.all("SELECT * FROM runs WHERE status = ? AND owner = ? ORDER BY id", [status, opts.owner]);
    return rows.map(toRun);
  }

  async updateRun(id: string, patch: RunPatch, opts: { ifStatus?: RunStatus[] } = {}): Promise<RunRow | undefined> {
    const { sql, params } = updateRunQuery(id, patch, opts.ifStatus);
    const row = await this.db.get(sql, params);
    return row && toRun(row);
  }

  async claimNextQueued(runnerId: string): Promise<RunRow | undefined> {
    if (!runnerId) throw badArgument("claimNextQueued needs a runner id");
    const row = await this.db.transaction((q) => q.get(this.db.claimSql, [runnerId, Date.now()]));
    return row && toRun(row);
  }

  async upsertStage(runId: string, stage: StageInput): Promise<void> {
    if (!STAGE_STATUSES.includes(stage.status)) throw badArgument(`unknown stage status "${stage.status}"`);
    try {
      await this.db.run(
        `INSERT INTO stages (run_id, name, type, position, status, started_at, finished_at, duration_ms, detail)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (run_id, name) DO UPDATE SET
           type = excluded.type, position = excluded.position, status = excluded.status,
           started_at = COALESCE(excluded.started_at, stages.started_at),
           finished_at = COALESCE(excluded.finished_at, stages.finished_at),
           duration_ms = COALESCE(excluded.duration_ms, stages.duration_ms),
           detail = COALESCE(excluded.detail, stages.detail)`,
        [
          runId,
          stage.name,
          stage.type,
          stage.position,
          stage.status,
          stage.startedAt ?? null,
          stage.finishedAt ?? null,
          stage.durationMs ?? null,
          stage.detail ?? null,
        ],
      );
    } catch (err) {
      throw runNotFound(err, runId);
    }
  }

  async listStages(runId: string): Promise<StageRow[]> {
    return (await this.db.all("SELECT * FROM stages WHERE run_id = ? ORDER BY position, name", [runId])).map(toStage);
  }

  appendLog(runId: string, stage: string, text: string): Promise<LogAppend> {
    return appendLogChunks(this.db, runId, stage, text);
  }

  readLog(runId: string, stage: string, fromOffset = 0): AsyncIterable<string> {
    return readLogChunks(this.db, runId, stage, fromOffset);
  }

  logSize(runId: string, stage: string): Promise<number> {
    return logStreamSize(this.db, runId, stage);
  }

  async pruneLogs(finishedBefore: number): Promise<number> {
    const old = "SELECT id FROM runs WHERE finished_at IS NOT NULL AND finished_at < ?";
    return this.db.transaction(async (q) => {
      await q.run(`DELETE FROM log_chunks WHERE run_id IN (${old})`, [finishedBefore]);
      return q.run(`DELETE FROM log_streams WHERE run_id IN (${old})`, [finishedBefore]);
    });
  }

  async addArtifact(runId: string, artifact: ArtifactInput): Promise<ArtifactRow> {
    if (!/^[0-9a-f]{64}$/.test(artifact.sha256)) throw badArgument(`sha256 must be 64 hex digits`);
    try {
      const row = await this.db.get(
        `INSERT INTO artifacts (run_id, stage, path, size, sha256, created_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (run_id, stage, path) DO UPDATE SET size = excluded.size, sha256 = excluded.sha256
         RETURNING *`,
        [runId, artifact.stage, artifact.path, artifact.size, artifact.sha256, Date.now()],
      );
      return toArtifact(row!);
    } catch (err) {
      throw runNotFound(err, runId);
    }
  }

  async listArtifacts(runId: string): Promise<ArtifactRow[]> {
    return (await this.db.all("SELECT * FROM artifacts WHERE run_id = ? ORDER BY id", [runId])).map(toArtifact);
  }

  async addAuditEvent(event: AuditEventInput): Promise<AuditEventRow> {
    const row = await this.db.get(
      "INSERT INTO audit_events (created_at, actor, action, target, detail) VALUES (?, ?, ?, ?, ?) RETURNING *",
      [Date.now(), event.actor, event.action, event.target, event.detail ? JSON.stringify(event.detail) : null],
    );
    return toAuditEvent(row!);
  }

  async listAuditEvents(limit?: number): Promise<AuditEventRow[]> {
    const n = checkLimit(limit, 100);
    return (await this.db.all(`SELECT * FROM audit_events ORDER BY id DESC LIMIT ${n}`)).map(toAuditEvent);
  }

  createApiToken(name: string): Promise<NewApiToken> {
    return createToken(this.db, name);
  }

  verifyApiToken(token: string): Promise<{ id: string; name: string } | undefined> {
    return verifyToken(this.db, token);
  }

  revokeApiToken(id: string): Promise<boolean> {
    return revokeToken(this.db, id);
  }

  listApiTokens(): Promise<ApiTokenRow[]> {
    return listTokens(this.db);
  }
}
