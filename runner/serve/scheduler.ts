import { rm } from "node:fs/promises";
import { join } from "node:path";
import { collectGarbage } from "../../engine/index.js";
import type { RunRow } from "../../store/index.js";
import { RunInterruption } from "./interruption.js";
import { ServeError } from "./listen.js";
import { runScope } from "./process-guard.js";
import { type ExecutorDeps, executeRun, type RetrySpec } from "./run-executor.js";

/** Where the scheduler reports failures it survives (the daemon logs and counts them). */
export interface SchedulerReports {
  log(line: string): void;
  count(source: string): void;
}

/**
 * The queue: queued runs live in the store; this claims them (atomically, so several runners
 * sharing PostgreSQL never take the same run) up to the concurrency limit and executes them.
 * It is woken when a run is created and also polls, for runs queued by other runners.
 */
export class Scheduler {
  private readonly active = new Map<string, { controller: AbortController; done: Promise<void> }>();
  private filling: Promise<void> | undefined;
  private refill = false;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly deps: ExecutorDeps,
    private readonly concurrency: number,
    private readonly pollMs = 1000,
    private readonly reports: SchedulerReports = { log: () => {}, count: () => {} },
  ) {}

  start(): void {
    this.timer = setInterval(() => this.kick(), this.pollMs);
    this.timer.unref();
    this.kick();
  }

  get running(): number {
    return this.active.size;
  }

  isActive(runId: string): boolean {
    return this.active.has(runId);
  }

  /** Fills free slots with queued runs; concurrent calls coalesce into one more pass. */
  kick(): void {
    if (this.stopped) return;
    if (this.filling) {
      this.refill = true;
      return;
    }
    this.filling = this.fill().finally(() => {
      this.filling = undefined;
      if (this.refill) {
        this.refill = false;
        this.kick();
      }
    });
  }

  private async fill(): Promise<void> {
    while (!this.stopped && this.active.size < this.concurrency) {
      let run: RunRow | undefined;
      try {
        run = await this.deps.store.claimNextQueued(this.deps.config.runnerId);
      } catch (err) {
        // The store is down or refused: nothing was claimed. The next kick (a new run, the
        // poll timer) tries again; saying so keeps an outage from looking like an idle queue.
        this.reports.count("claim");
        this.reports.log(`scheduler: cannot claim a queued run: ${(err as Error).message}`);
        return;
      }
      if (!run) return;
      this.deps.bus.publish({ type: "run", runId: run.id, status: run.status });
      this.launch(run);
    }
  }

  private launch(run: RunRow): void {
    const controller = new AbortController();
    // Everything the run starts inherits this scope, so the process guard can fail this run
    // (and only this one) for a rejection nothing else handled.
    const scope = { runId: run.id, fail: (err: ServeError) => controller.abort(err) };
    const done = runScope
      .run(scope, () => this.retrySpec(run).then((retry) => executeRun(this.deps, run, controller.signal, retry)))
      .then(
        () => undefined,
        (err: unknown) => this.failUnexpectedly(run, err),
      )
      .finally(() => {
        this.active.delete(run.id);
        this.kick();
      });
    this.active.set(run.id, { controller, done });
  }

  /** `executeRun` does not throw; if it did anyway (a store outage in its last write), the run is failed, not lost. */
  private async failUnexpectedly(run: RunRow, err: unknown): Promise<void> {
    const message = (err as Error)?.message ?? String(err);
    this.reports.count("run");
    this.reports.log(`SLIPWAY_E_SERVE_UNEXPECTED: run ${run.id}: ${message}`);
    const error = new ServeError("SLIPWAY_E_SERVE_UNEXPECTED", `internal error: ${message}`, { cause: err });
    await this.deps.store
      .updateRun(run.id, { status: "failed", error: error.message, finishedAt: Date.now() }, { ifStatus: ["running"] })
      .then(() => this.deps.bus.publish({ type: "run", runId: run.id, status: "failed" }))
      .catch((e: Error) => this.reports.log(`scheduler: cannot mark run ${run.id} failed: ${e.message}`));
  }

  /** A retry from a stage replays the original run's work before that stage. */
  private async retrySpec(run: RunRow): Promise<RetrySpec | undefined> {
    if (!run.retryFromStage || !run.retryOf) return undefined;
    const original = await this.deps.store.getRun(run.retryOf);
    return original ? { fromStage: run.retryFromStage, original } : undefined;
  }

  /**
   * Cancels a run: a queued one never starts; a running one is aborted (SIGTERM, grace,
   * SIGKILL, cleanup) in the background, so the caller (an HTTP request) gets its answer at
   * once. The run turns `cancelled` when its cleanup is done.
   */
  async cancel(runId: string): Promise<boolean> {
    const active = this.active.get(runId);
    if (active) {
      active.controller.abort(new Error("cancelled"));
      return true;
    }
    const updated = await this.deps.store.updateRun(
      runId,
      { status: "cancelled", finishedAt: Date.now(), error: "cancelled before it started" },
      { ifStatus: ["queued"] },
    );
    if (updated) this.deps.bus.publish({ type: "run", runId, status: "cancelled" });
    return updated !== undefined;
  }

  /**
   * Graceful stop: claims nothing more at once, lets the running runs go on for up to
   * `graceMs` (or until `hurry` aborts: a second SIGTERM), then cancels the rest with their
   * cleanup and records them interrupted. Resolves when every run has finished its cleanup.
   */
  async stop(opts: { graceMs?: number; hurry?: AbortSignal; log?(line: string): void } = {}): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.filling;
    const graceMs = opts.graceMs ?? 0;
    const running = () => [...this.active.values()].map((a) => a.done);
    if (this.active.size > 0 && graceMs > 0 && !opts.hurry?.aborted) {
      opts.log?.(`shutdown: letting ${this.active.size} running run(s) go on for up to ${graceMs / 1000}s`);
      let timer: NodeJS.Timeout | undefined;
      const expired = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, graceMs);
        opts.hurry?.addEventListener("abort", () => resolve(), { once: true });
      });
      await Promise.race([Promise.all(running()), expired]);
      clearTimeout(timer);
    }
    if (this.active.size > 0) {
      const why = opts.hurry?.aborted
        ? "a second stop signal"
        : graceMs > 0
          ? `the shutdown grace of ${graceMs / 1000}s expired`
          : "no shutdown grace";
      opts.log?.(`shutdown: cancelling ${this.active.size} run(s) (${why}); they are recorded interrupted`);
      const reason = new RunInterruption(`interrupted: the runner was stopped (${why}); retry replays it`);
      for (const { controller } of this.active.values()) controller.abort(reason);
    }
    await Promise.all(running());
  }
}

/**
 * Crash safety, at start: runs this runner left `running` when its process died are marked
 * failed ("runner restarted") and their containers, stacks and worktrees removed by label.
 * Failing rather than resuming is deliberate: a half-run stage may have had side effects
 * (a pushed tag, a migrated database) that replaying would repeat; `retry` replays
 * explicitly, from the failed stage if wanted. Their logs stay: every line was stored as it came.
 */
export async function reconcileAfterRestart(deps: ExecutorDeps): Promise<RunRow[]> {
  const orphans = await deps.store.listRunsByStatus("running", { owner: deps.config.runnerId });
  for (const run of orphans) {
    await collectGarbage(deps.engine, { runId: run.id, isAlive: () => false }).catch(() => {});
    await rm(join(deps.config.dataDir, "worktrees", run.id), { recursive: true, force: true });
    await deps.store.appendLog(run.id, "_setup", "runner restarted: this run was interrupted and is marked failed\n");
    // Its running stage is closed too: a run that is over has no stage still "running".
    const finishedAt = Date.now();
    for (const stage of await deps.store.listStages(run.id)) {
      if (stage.status !== "running" && stage.status !== "pending") continue;
      await deps.store.upsertStage(run.id, {
        name: stage.name,
        type: stage.type,
        position: stage.position,
        status: stage.status === "running" ? "failed" : "skipped",
        ...(stage.status === "running"
          ? {
              finishedAt,
              durationMs: stage.startedAt ? finishedAt - stage.startedAt : undefined,
              detail: "interrupted: runner restarted",
            }
          : {}),
      });
    }
    await deps.store.updateRun(run.id, { status: "failed", error: "runner restarted", finishedAt: Date.now() });
  }
  // Resources of any other dead process on this host (a crashed `slipway run`) go too.
  await collectGarbage(deps.engine).catch(() => {});
  return orphans;
}
