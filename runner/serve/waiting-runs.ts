import type { ApprovalRow, RunRow, Store } from "../../store/index.js";
import type { ApprovalError } from "./approval-errors.js";
import { rejection, timedOut } from "./approval-gate.js";
import type { LiveBus } from "./live-logs.js";
import { SETUP_LOG } from "./run-executor.js";

export interface WaitingRunsDeps {
  store: Store;
  bus: LiveBus;
  /** Who the daemon is: the actor of what it decides itself (an approval timeout). */
  runnerId: string;
  /** Wakes the scheduler: a run went back to the queue. */
  kick(): void;
  log(line: string): void;
  /** The clock (tests may pass a fixed one). */
  now?(): number;
}

/**
 * Runs parked before a deploy stage (status `waiting`) live only in the store: no slot, no
 * worktree, no timer in memory. This sweeps them (at start, then every `pollMs`, and at once
 * after an approve or reject) and moves each one on: an approved one, or one whose window has
 * opened (or was overridden), goes back to the queue and resumes at its stage; a rejected or
 * expired one fails. Every transition is conditional on the run still waiting, so several
 * runners sweeping one PostgreSQL move a run once.
 */
export class WaitingRuns {
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;

  constructor(
    private readonly deps: WaitingRunsDeps,
    private readonly pollMs = 1000,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.sweep(), this.pollMs);
    this.timer.unref();
    void this.sweep();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.sweeping;
  }

  /** One pass over every waiting run; a pass already under way is joined, not doubled. */
  sweep(): Promise<void> {
    this.sweeping ??= this.pass().finally(() => {
      this.sweeping = undefined;
    });
    return this.sweeping;
  }

  private async pass(): Promise<void> {
    let runs: RunRow[];
    try {
      runs = await this.deps.store.listRunsByStatus("waiting");
    } catch (err) {
      this.deps.log(`waiting runs: cannot list them: ${(err as Error).message}`);
      return;
    }
    for (const run of runs) {
      await this.settle(run).catch((err: Error) => this.deps.log(`waiting run ${run.id}: ${err.message}`));
    }
  }

  /** Moves one waiting run on if its gate says so; leaves it waiting otherwise. */
  async settle(run: RunRow): Promise<void> {
    const { store } = this.deps;
    const now = this.deps.now?.() ?? Date.now();
    const stage = run.resumeFromStage;
    const gate = stage ? await store.approvals.getGate(run.id, stage) : undefined;
    // No gate to look at (a store edited by hand): the deploy stage decides again.
    if (!stage || !gate) return this.requeue(run);
    if (gate.state === "rejected" || gate.state === "cancelled") {
      return this.fail(run, gate, rejection(gate.decidedBy, gate.comment, gate.environment));
    }
    if (gate.waitingFor === "approval") {
      if (gate.state === "approved") return this.requeue(run);
      if (gate.state === "pending" && gate.expiresAt !== null && now >= gate.expiresAt) {
        const decided = await store.approvals.decide(run.id, stage, {
          state: "rejected",
          actor: "approval_timeout",
          comment: `not approved by ${new Date(gate.expiresAt).toISOString()}`,
          from: ["pending"],
        });
        // Someone approved or rejected in the same instant: their decision stands.
        if (!decided) return;
        await store.addAuditEvent({
          actor: this.deps.runnerId,
          action: "approval-timeout",
          target: run.id,
          detail: { stage, environment: gate.environment },
        });
        return this.fail(run, decided, timedOut(gate.environment, (gate.expiresAt - gate.requestedAt) / 1000));
      }
      return;
    }
    if (gate.waitingFor === "window") {
      const opened = gate.windowOpensAt !== null && now >= gate.windowOpensAt;
      if (opened || gate.windowOverrideAt !== null) return this.requeue(run);
      return;
    }
    return this.requeue(run);
  }

  /** Back to the queue; the scheduler claims it like any queued run and it resumes at its stage. */
  private async requeue(run: RunRow): Promise<void> {
    const queued = await this.deps.store.updateRun(run.id, { status: "queued" }, { ifStatus: ["waiting"] });
    if (!queued) return;
    await this.deps.store.appendLog(run.id, SETUP_LOG, `resumes: back in the queue at ${new Date().toISOString()}\n`);
    this.deps.bus.publish({ type: "run", runId: run.id, status: "queued" });
    this.deps.kick();
  }

  /** Rejected or expired: the waiting stage fails with the reason, the stages after it are skipped. */
  private async fail(run: RunRow, gate: ApprovalRow, error: ApprovalError): Promise<void> {
    await this.end(run, gate, "failed", `${error.code}: ${error.message}`);
  }

  /** A waiting run cancelled (`POST /api/runs/:id/cancel`): its gate is closed, the run `cancelled`. */
  async cancel(run: RunRow, actor: string): Promise<RunRow | undefined> {
    const stage = run.resumeFromStage;
    const gate = stage
      ? await this.deps.store.approvals.decide(run.id, stage, {
          state: "cancelled",
          actor,
          comment: "run cancelled",
          from: ["pending", "approved", "not_required"],
        })
      : undefined;
    return this.end(run, gate, "cancelled", `cancelled by ${actor} while waiting`);
  }

  private async end(
    run: RunRow,
    gate: ApprovalRow | undefined,
    status: "failed" | "cancelled",
    detail: string,
  ): Promise<RunRow | undefined> {
    const { store, bus } = this.deps;
    const stage = run.resumeFromStage;
    const error = status === "failed" && stage ? `stage ${stage} failed: ${detail}` : detail;
    const ended = await store.updateRun(run.id, { status, error, finishedAt: Date.now() }, { ifStatus: ["waiting"] });
    if (!ended) return undefined;
    if (gate && stage) await store.approvals.clearWait(run.id, stage);
    const finishedAt = Date.now();
    for (const s of await store.listStages(run.id)) {
      if (s.status === "waiting") {
        await store.upsertStage(run.id, {
          name: s.name,
          type: s.type,
          position: s.position,
          status: status === "failed" ? "failed" : "cancelled",
          finishedAt,
          detail,
        });
        bus.publish({ type: "stage", runId: run.id, stage: s.name, status });
      } else if (s.status === "pending") {
        const why = status === "failed" ? "an earlier stage failed" : "run cancelled";
        await store.upsertStage(run.id, {
          name: s.name,
          type: s.type,
          position: s.position,
          status: "skipped",
          detail: why,
        });
      }
    }
    await store.appendLog(run.id, SETUP_LOG, `${error}\n`);
    bus.publish({ type: "run", runId: run.id, status });
    return ended;
  }
}
