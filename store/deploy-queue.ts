import type { DeployQueueStore, QueuedDeploy, QueueEntryInput } from "./deploy-queue-types.js";
import type { EnvironmentKey } from "./deployment-types.js";
import { badArgument } from "./errors.js";
import type { RawRow } from "./rows.js";
import type { SqlDriver } from "./sql-driver.js";

/** `DeployQueueStore` on a `SqlDriver`: the same SQL on SQLite and PostgreSQL. */
export class SqlDeployQueue implements DeployQueueStore {
  constructor(private readonly db: SqlDriver) {}

  async join(input: QueueEntryInput, leaseMs: number): Promise<QueuedDeploy> {
    if (!input.repository || !input.environment || !input.runId || !input.stage || !input.runner) {
      throw badArgument("a queued deploy needs a repository, an environment, a run, a stage and a runner");
    }
    if (!Number.isInteger(input.runNumber) || input.runNumber < 1) {
      throw badArgument(`a queued deploy needs a run number, got ${input.runNumber}`);
    }
    const now = Date.now();
    return this.db.transaction(async (q) => {
      await q.run("DELETE FROM deploy_queue WHERE run_id = ? AND stage = ?", [input.runId, input.stage]);
      const row = await q.get(
        `INSERT INTO deploy_queue (repository, environment, run_id, stage, run_number, runner, since, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
        [
          input.repository,
          input.environment,
          input.runId,
          input.stage,
          input.runNumber,
          input.runner,
          now,
          now + leaseMs,
        ],
      );
      return toQueued(row as RawRow);
    });
  }

  async renew(seq: number, leaseMs: number): Promise<boolean> {
    // An expired entry is not revived: whoever read it meanwhile may have taken it for dead.
    const now = Date.now();
    return (
      (await this.db.run("UPDATE deploy_queue SET expires_at = ? WHERE seq = ? AND expires_at >= ?", [
        now + leaseMs,
        seq,
        now,
      ])) > 0
    );
  }

  async list(key: EnvironmentKey): Promise<QueuedDeploy[]> {
    const rows = (
      await this.db.all("SELECT * FROM deploy_queue WHERE repository = ? AND environment = ? ORDER BY seq", [
        key.repository,
        key.environment,
      ])
    ).map(toQueued);
    const now = Date.now();
    const expired = rows.filter((r) => r.expiresAt < now);
    for (const r of expired) {
      // Guarded by the lease, so an entry renewed since the read stays.
      await this.db.run("DELETE FROM deploy_queue WHERE seq = ? AND expires_at < ?", [r.seq, now]);
    }
    return rows.filter((r) => r.expiresAt >= now);
  }

  async leave(seq: number): Promise<boolean> {
    return (await this.db.run("DELETE FROM deploy_queue WHERE seq = ?", [seq])) > 0;
  }

  async leaveAll(runner: string): Promise<number> {
    return this.db.run("DELETE FROM deploy_queue WHERE runner = ?", [runner]);
  }
}

function toQueued(r: RawRow): QueuedDeploy {
  return {
    seq: Number(r.seq),
    repository: String(r.repository),
    environment: String(r.environment),
    runId: String(r.run_id),
    stage: String(r.stage),
    runNumber: Number(r.run_number),
    runner: String(r.runner),
    since: Number(r.since),
    expiresAt: Number(r.expires_at),
  };
}
