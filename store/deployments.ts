import {
  type BatchInput,
  type BatchRow,
  DEPLOYMENT_TRIGGERS,
  type DeploymentPatch,
  type DeploymentRow,
  type DeploymentStatus,
  type DeploymentStore,
  type DeploymentTrigger,
  type EnvironmentKey,
  type LockResult,
  type LockRow,
  type NewDeployment,
} from "./deployment-types.js";
import { badArgument } from "./errors.js";
import { newUlid } from "./ids.js";
import type { RawRow } from "./rows.js";
import type { SqlDriver } from "./sql-driver.js";

/** `DeploymentStore` on a `SqlDriver`: the same SQL on SQLite and PostgreSQL. */
export class SqlDeploymentStore implements DeploymentStore {
  constructor(private readonly db: SqlDriver) {}

  async createDeployment(input: NewDeployment): Promise<DeploymentRow> {
    if (!DEPLOYMENT_TRIGGERS.includes(input.trigger))
      throw badArgument(`unknown deployment trigger "${input.trigger}"`);
    if (!input.repository || !input.environment || !input.version) {
      throw badArgument("a deployment needs a repository, an environment and a version");
    }
    const now = Date.now();
    const row = await this.db.get(
      `INSERT INTO deployments (id, repository, environment, version, previous_version, strategy, trigger_kind,
         actor, run_id, rollback_of, status, spec, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'running', ?, ?, ?) RETURNING *`,
      [
        newUlid(now),
        input.repository,
        input.environment,
        input.version,
        input.previousVersion ?? null,
        input.strategy,
        input.trigger,
        input.actor ?? null,
        input.runId ?? null,
        input.rollbackOf ?? null,
        input.spec === undefined ? null : JSON.stringify(input.spec),
        now,
        now,
      ],
    );
    return toDeployment(row as RawRow);
  }

  async getDeployment(id: string): Promise<DeploymentRow | undefined> {
    const row = await this.db.get("SELECT * FROM deployments WHERE id = ?", [id]);
    return row && toDeployment(row);
  }

  async updateDeployment(id: string, patch: DeploymentPatch): Promise<DeploymentRow | undefined> {
    const sets: string[] = ["updated_at = ?"];
    const params: (string | number | null)[] = [Date.now()];
    const columns: [Exclude<keyof DeploymentPatch, "spec">, string][] = [
      ["status", "status"],
      ["outcome", "outcome"],
      ["rollbackReason", "rollback_reason"],
      ["finishedAt", "finished_at"],
    ];
    for (const [field, column] of columns) {
      if (patch[field] === undefined) continue;
      sets.push(`${column} = ?`);
      params.push(patch[field] as string | number | null);
    }
    if (patch.spec !== undefined) {
      sets.push("spec = ?");
      params.push(JSON.stringify(patch.spec));
    }
    const row = await this.db.get(`UPDATE deployments SET ${sets.join(", ")} WHERE id = ? RETURNING *`, [
      ...params,
      id,
    ]);
    return row && toDeployment(row);
  }

  async listDeployments(key: EnvironmentKey, limit = 50): Promise<DeploymentRow[]> {
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw badArgument(`limit must be 1..1000, got ${limit}`);
    const rows = await this.db.all(
      "SELECT * FROM deployments WHERE repository = ? AND environment = ? ORDER BY id DESC LIMIT ?",
      [key.repository, key.environment, limit],
    );
    return rows.map(toDeployment);
  }

  async latestDeployment(key: EnvironmentKey, statuses: DeploymentStatus[]): Promise<DeploymentRow | undefined> {
    if (statuses.length === 0) return undefined;
    const row = await this.db.get(
      `SELECT * FROM deployments WHERE repository = ? AND environment = ?
         AND status IN (${statuses.map(() => "?").join(", ")}) ORDER BY id DESC LIMIT 1`,
      [key.repository, key.environment, ...statuses],
    );
    return row && toDeployment(row);
  }

  async listDeploymentsByStatus(status: DeploymentStatus): Promise<DeploymentRow[]> {
    return (await this.db.all("SELECT * FROM deployments WHERE status = ? ORDER BY id", [status])).map(toDeployment);
  }

  async listDeployedEnvironments(repository: string): Promise<string[]> {
    const rows = await this.db.all(
      "SELECT DISTINCT environment FROM deployments WHERE repository = ? ORDER BY environment",
      [repository],
    );
    return rows.map((r) => String(r.environment));
  }

  async addBatch(deploymentId: string, batch: BatchInput): Promise<BatchRow> {
    // The sequence number is taken inside the insert's transaction, so concurrent writers of
    // one deployment (there should be none) still cannot collide silently.
    return this.db.transaction(async (q) => {
      const next = await q.get(
        "SELECT COALESCE(MAX(seq), 0) + 1 AS seq FROM deployment_batches WHERE deployment_id = ?",
        [deploymentId],
      );
      const row = await q.get(
        `INSERT INTO deployment_batches (deployment_id, seq, phase, service, batch, batches, added, removed, status,
           health, started_at, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
        [
          deploymentId,
          Number(next?.seq ?? 1),
          batch.phase,
          batch.service,
          batch.batch,
          batch.batches,
          JSON.stringify(batch.added),
          JSON.stringify(batch.removed),
          batch.status,
          JSON.stringify(batch.health),
          batch.startedAt,
          batch.finishedAt,
        ],
      );
      return toBatch(row as RawRow);
    });
  }

  async listBatches(deploymentId: string): Promise<BatchRow[]> {
    const rows = await this.db.all("SELECT * FROM deployment_batches WHERE deployment_id = ? ORDER BY seq", [
      deploymentId,
    ]);
    return rows.map(toBatch);
  }

  /**
   * One statement per attempt, both atomic on either engine: insert when no row exists (the
   * primary key lets exactly one concurrent insert win), else take over a lease that expired.
   */
  async acquireLock(key: EnvironmentKey, holder: string, leaseMs: number, deploymentId?: string): Promise<LockResult> {
    const now = Date.now();
    const inserted = await this.db.get(
      `INSERT INTO environment_locks (repository, environment, holder, deployment_id, acquired_at, expires_at)
       VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (repository, environment) DO NOTHING RETURNING *`,
      [key.repository, key.environment, holder, deploymentId ?? null, now, now + leaseMs],
    );
    if (inserted) return { acquired: true, lock: toLock(inserted) };
    const taken = await this.db.get(
      `UPDATE environment_locks SET holder = ?, deployment_id = ?, acquired_at = ?, expires_at = ?
       WHERE repository = ? AND environment = ? AND (expires_at < ? OR holder = ?) RETURNING *`,
      [holder, deploymentId ?? null, now, now + leaseMs, key.repository, key.environment, now, holder],
    );
    if (taken) return { acquired: true, lock: toLock(taken) };
    const held = await this.getLock(key);
    // Released between our two statements: try once more rather than report a phantom holder.
    if (!held) return this.acquireLock(key, holder, leaseMs, deploymentId);
    return { acquired: false, heldBy: held };
  }

  async renewLock(key: EnvironmentKey, holder: string, leaseMs: number): Promise<boolean> {
    const changed = await this.db.run(
      "UPDATE environment_locks SET expires_at = ? WHERE repository = ? AND environment = ? AND holder = ?",
      [Date.now() + leaseMs, key.repository, key.environment, holder],
    );
    return changed > 0;
  }

  async releaseLock(key: EnvironmentKey, holder: string): Promise<boolean> {
    const changed = await this.db.run(
      "DELETE FROM environment_locks WHERE repository = ? AND environment = ? AND holder = ?",
      [key.repository, key.environment, holder],
    );
    return changed > 0;
  }

  async getLock(key: EnvironmentKey): Promise<LockRow | undefined> {
    const row = await this.db.get("SELECT * FROM environment_locks WHERE repository = ? AND environment = ?", [
      key.repository,
      key.environment,
    ]);
    return row && toLock(row);
  }
}

function num(v: unknown): number {
  return typeof v === "number" ? v : Number(v);
}

function str(v: unknown): string | null {
  return v === null || v === undefined ? null : String(v);
}

function json<T>(v: unknown): T | null {
  if (v === null || v === undefined) return null;
  return (typeof v === "string" ? JSON.parse(v) : v) as T;
}

function toDeployment(r: RawRow): DeploymentRow {
  return {
    id: String(r.id),
    repository: String(r.repository),
    environment: String(r.environment),
    version: String(r.version),
    previousVersion: str(r.previous_version),
    strategy: String(r.strategy),
    trigger: String(r.trigger_kind) as DeploymentTrigger,
    actor: str(r.actor),
    runId: str(r.run_id),
    rollbackOf: str(r.rollback_of),
    status: String(r.status) as DeploymentStatus,
    outcome: str(r.outcome),
    rollbackReason: str(r.rollback_reason),
    spec: json<Record<string, unknown>>(r.spec),
    createdAt: num(r.created_at),
    updatedAt: num(r.updated_at),
    finishedAt: r.finished_at === null || r.finished_at === undefined ? null : num(r.finished_at),
  };
}

function toBatch(r: RawRow): BatchRow {
  return {
    deploymentId: String(r.deployment_id),
    seq: num(r.seq),
    phase: String(r.phase) as BatchRow["phase"],
    service: String(r.service),
    batch: num(r.batch),
    batches: num(r.batches),
    added: json<string[]>(r.added) ?? [],
    removed: json<string[]>(r.removed) ?? [],
    status: String(r.status) as BatchRow["status"],
    health: json<Record<string, unknown>[]>(r.health) ?? [],
    startedAt: num(r.started_at),
    finishedAt: num(r.finished_at),
  };
}

function toLock(r: RawRow): LockRow {
  return {
    repository: String(r.repository),
    environment: String(r.environment),
    holder: String(r.holder),
    deploymentId: str(r.deployment_id),
    acquiredAt: num(r.acquired_at),
    expiresAt: num(r.expires_at),
  };
}
