import type { ApprovalRow, ApprovalStore, Decision, GateInput, GateWait } from "./approval-types.js";
import { APPROVAL_STATES } from "./approval-types.js";
import { badArgument } from "./errors.js";
import type { RawRow } from "./rows.js";
import type { SqlDriver } from "./sql-driver.js";

function num(v: unknown): number | null {
  return v === null || v === undefined ? null : Number(v);
}

function str(v: unknown): string | null {
  return v === null || v === undefined ? null : String(v);
}

function toApproval(r: RawRow): ApprovalRow {
  return {
    runId: String(r.run_id),
    stage: String(r.stage),
    repository: String(r.repository),
    environment: String(r.environment),
    state: String(r.state) as ApprovalRow["state"],
    waitingFor: str(r.waiting_for) as GateWait | null,
    reason: str(r.reason),
    requestedAt: Number(r.requested_at),
    expiresAt: num(r.expires_at),
    windowOpensAt: num(r.window_opens_at),
    decidedBy: str(r.decided_by),
    decidedAt: num(r.decided_at),
    comment: str(r.comment),
    windowOverrideBy: str(r.window_override_by),
    windowOverrideAt: num(r.window_override_at),
  };
}

/** `ApprovalStore` on a `SqlDriver`: the same SQL on both engines. */
export class SqlApprovalStore implements ApprovalStore {
  constructor(private readonly db: SqlDriver) {}

  async openGate(input: GateInput): Promise<ApprovalRow> {
    if (!input.runId || !input.stage) throw badArgument("a gate needs a run and a stage");
    const row = await this.db.get(
      `INSERT INTO approvals (run_id, stage, repository, environment, state, waiting_for, reason, requested_at,
         expires_at, window_opens_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (run_id, stage) DO UPDATE
         SET waiting_for = excluded.waiting_for, reason = excluded.reason, window_opens_at = excluded.window_opens_at
       RETURNING *`,
      [
        input.runId,
        input.stage,
        input.repository,
        input.environment,
        input.approvalRequired ? "pending" : "not_required",
        input.waitingFor,
        input.reason ?? null,
        input.requestedAt ?? Date.now(),
        input.expiresAt ?? null,
        input.windowOpensAt ?? null,
      ],
    );
    return toApproval(row as RawRow);
  }

  async getGate(runId: string, stage: string): Promise<ApprovalRow | undefined> {
    const row = await this.db.get("SELECT * FROM approvals WHERE run_id = ? AND stage = ?", [runId, stage]);
    return row && toApproval(row);
  }

  async listGates(runId: string): Promise<ApprovalRow[]> {
    const rows = await this.db.all("SELECT * FROM approvals WHERE run_id = ? ORDER BY requested_at, stage", [runId]);
    return rows.map(toApproval);
  }

  async decide(runId: string, stage: string, d: Decision): Promise<ApprovalRow | undefined> {
    if (d.from.length === 0 || d.from.some((s) => !APPROVAL_STATES.includes(s))) {
      throw badArgument(`decide: bad from states ${JSON.stringify(d.from)}`);
    }
    const row = await this.db.get(
      `UPDATE approvals SET state = ?, decided_by = ?, decided_at = ?, comment = ?
       WHERE run_id = ? AND stage = ? AND state IN (${d.from.map(() => "?").join(", ")}) RETURNING *`,
      [d.state, d.actor, Date.now(), d.comment ?? null, runId, stage, ...d.from],
    );
    return row && toApproval(row);
  }

  async overrideWindow(runId: string, stage: string, actor: string): Promise<ApprovalRow | undefined> {
    const row = await this.db.get(
      `UPDATE approvals SET window_override_by = COALESCE(window_override_by, ?),
         window_override_at = COALESCE(window_override_at, ?)
       WHERE run_id = ? AND stage = ? RETURNING *`,
      [actor, Date.now(), runId, stage],
    );
    return row && toApproval(row);
  }

  async clearWait(runId: string, stage: string): Promise<void> {
    await this.db.run("UPDATE approvals SET waiting_for = NULL WHERE run_id = ? AND stage = ?", [runId, stage]);
  }
}
