import type { Engine } from "../engine/index.js";
import type { BatchInput } from "../store/index.js";
import type { EnvironmentCompose } from "./compose-target.js";
import { beginDrain, type Drain, drainAndRemove } from "./drain.js";
import { DeployError } from "./errors.js";
import { type ContainerVerdict, sleep, watchContainers } from "./health.js";
import type { Keeper } from "./keep.js";
import { exceedsFailureRatio, failureDecision, type Phase, type Plan, planDeployment, type Step } from "./planner.js";
import { addReplicasLike } from "./replicas.js";
import type { ServiceSpec } from "./service-spec.js";
import { readStackState, serviceContainerIds } from "./stack-state.js";

export interface RolloutContext {
  engine: Engine;
  log: (line: string) => void;
  signal?: AbortSignal;
  /** Called after every batch with what it did and saw (the store records it). */
  onBatch?: (batch: BatchInput) => Promise<void>;
  /**
   * `confirm_upgrade`: replaced containers are kept (out of rotation, then stopped after their
   * service's last batch) instead of removed; see deploy/keep.ts for why and how.
   */
  keeper?: Keeper;
}

export type RolloutResult =
  | { ok: true; plan: Plan; notes: string[] }
  | { ok: false; plan: Plan; decision: "rollback" | "pause"; reason: string };

/**
 * Carries out one plan (an update, or a rollback) against the live stack. Failures are
 * counted per service against `max_failure_ratio`; past it the failure action decides:
 * `continue` goes on, `rollback` and `pause` stop here and tell the caller, which rolls back
 * or records the pause. Failed new containers are always taken out again, so nothing broken
 * stays in rotation.
 */
export async function runRollout(
  ctx: RolloutContext,
  compose: EnvironmentCompose,
  specs: ServiceSpec[],
  phase: Phase,
): Promise<RolloutResult> {
  const strategy = compose.target.environment.strategy === "recreate" ? "recreate" : "rolling";
  const state = await readStackState(ctx.engine, compose.target.project);
  const plan = planDeployment(strategy, state, specs, phase);
  if (ctx.keeper) refuseStopFirst(plan, compose.target.environment.name);
  const bySpec = new Map(specs.map((s) => [s.name, s]));
  const failures = new Map<string, number>();
  const notes: string[] = [];
  const retiring = new Retiring();
  try {
    return await carryOutPlan(ctx, compose, plan, bySpec, failures, notes, phase, retiring);
  } finally {
    // Every old container that is draining is gone before anyone reads the stack again (a
    // rollback's plan, `status`): a half-removed replica would count as serving.
    await retiring.settle();
  }
}

/**
 * A kept container runs on until its service's batches end, so under `confirm_upgrade` every
 * batch that replaces containers must be start-first: refused before anything changes.
 */
export function refuseStopFirst(plan: Plan, environment: string): void {
  const stopFirst = new Set<string>();
  for (const step of plan.steps) {
    if (step.kind === "batch" && step.remove.length > 0 && step.settings.order === "stop-first")
      stopFirst.add(step.service);
  }
  if (stopFirst.size === 0) return;
  const names = [...stopFirst].join(", ");
  throw new DeployError(
    "SLIPWAY_E_DEPLOY_BAD_VALUE",
    `environment ${environment} has confirm_upgrade: true, which keeps replaced containers until \`slipway confirm\` and so needs order start-first, but ${names} update${stopFirst.size === 1 ? "s" : ""} stop-first (Swarm's default when update_config.order is not set): set update: { order: start-first } in slipway.yml or deploy.update_config.order in the compose file`,
  );
}

/**
 * Old containers retiring in the background: a start-first batch's replaced containers are
 * out of rotation once their drain starts, so the drain (and stop) runs while the rollout
 * waits its `delay` instead of before it; the next batch waits for it before compose runs.
 * A failed drain is reported when the rollout settles.
 */
class Retiring {
  private readonly pending: Promise<void>[] = [];
  private failure: unknown;

  add(work: Promise<void>): void {
    this.pending.push(
      work.catch((err: unknown) => {
        this.failure ??= err;
      }),
    );
  }

  async settle(): Promise<void> {
    await Promise.all(this.pending.splice(0));
    if (this.failure !== undefined) throw this.failure;
  }
}

async function carryOutPlan(
  ctx: RolloutContext,
  compose: EnvironmentCompose,
  plan: Plan,
  bySpec: Map<string, ServiceSpec>,
  failures: Map<string, number>,
  notes: string[],
  phase: Phase,
  retiring: Retiring,
): Promise<RolloutResult> {
  ctx.log(
    `${phase} ${compose.target.project} to ${compose.target.version}: ${plan.changed.length === 0 ? "nothing changed" : `changing ${plan.changed.join(", ")}`}${plan.unchanged.length ? `; untouched: ${plan.unchanged.join(", ")}` : ""}`,
  );
  for (const step of plan.steps) {
    ctx.signal?.throwIfAborted();
    if (step.kind === "delay") {
      await sleep(step.seconds * 1000, ctx.signal);
      continue;
    }
    const outcome = await runStep(ctx, compose, step, bySpec, phase, retiring);
    for (const [service, failed] of outcome.failedBy) {
      const spec = bySpec.get(service) as ServiceSpec;
      const settings = phase === "update" ? spec.update : spec.rollback;
      const total = (failures.get(service) ?? 0) + failed;
      failures.set(service, total);
      if (!exceedsFailureRatio(total, spec.replicas, settings.maxFailureRatio)) continue;
      const decision = failureDecision(phase, settings);
      const reason = `${service}: ${total} of ${spec.replicas} new replicas failed (${outcome.details.join("; ")})`;
      if (decision === "continue") {
        notes.push(`${reason}; continued (failure_action continue)`);
        ctx.log(`${reason}; continuing`);
        continue;
      }
      ctx.log(`${reason}; ${decision}`);
      return { ok: false, plan, decision, reason };
    }
    // The service's last batch: no compose call will touch it again in this rollout, so its
    // kept containers (drained, still running) can stop without being revived.
    if (ctx.keeper && step.kind === "batch" && step.batch === step.batches) {
      await retiring.settle();
      await ctx.keeper.park(step.service);
    }
  }
  return { ok: true, plan, notes };
}

interface StepOutcome {
  failedBy: Map<string, number>;
  details: string[];
}

async function runStep(
  ctx: RolloutContext,
  compose: EnvironmentCompose,
  step: Exclude<Step, { kind: "delay" }>,
  specs: Map<string, ServiceSpec>,
  phase: Phase,
  retiring: Retiring,
): Promise<StepOutcome> {
  // The previous batch's old containers finish retiring (their drain overlapped the delay)
  // before compose runs again: `up --scale --no-recreate` would start a stopped one again.
  await retiring.settle();
  const started = Date.now();
  const project = compose.target.project;
  if (step.kind === "create") {
    await compose.run({ kind: "up", services: [], scale: step.scale }, `compose up of ${project}`);
    const outcome: StepOutcome = { failedBy: new Map(), details: [] };
    // Every service is watched at once: the stack is ready when the slowest one is.
    await Promise.all(
      Object.keys(step.scale).map(async (service) => {
        const spec = specs.get(service) as ServiceSpec;
        const ids = await serviceContainerIds(ctx.engine, project, service);
        const verdicts = await watchContainers(ctx.engine, ids, spec.health, spec.update.monitorSeconds, ctx.signal);
        await record(ctx, phase, service, 1, 1, ids, [], verdicts, started);
        tally(outcome, service, verdicts);
      }),
    );
    return outcome;
  }
  const spec = specs.get(step.service) as ServiceSpec;
  const settings = phase === "update" ? spec.update : spec.rollback;
  if (step.kind === "recreate") {
    const before = new Set(await serviceContainerIds(ctx.engine, project, step.service));
    await compose.run(
      { kind: "up", services: [step.service], noDeps: true, scale: { [step.service]: step.replicas } },
      `compose up of ${project} service ${step.service}`,
    );
    const ids = await serviceContainerIds(ctx.engine, project, step.service);
    const verdicts = await watchContainers(ctx.engine, ids, spec.health, settings.monitorSeconds, ctx.signal);
    await record(
      ctx,
      phase,
      step.service,
      1,
      1,
      ids,
      [...before].filter((id) => !ids.includes(id)),
      verdicts,
      started,
    );
    const outcome: StepOutcome = { failedBy: new Map(), details: [] };
    tally(outcome, step.service, verdicts);
    return outcome;
  }
  // A rolling batch.
  const drain = () =>
    drainAndRemove(ctx.engine, step.service, step.remove, settings.drainSeconds, { log: ctx.log, signal: ctx.signal });
  ctx.log(
    `${step.service} batch ${step.batch}/${step.batches}: +${step.add} new, -${step.remove.length} old (${settings.order})`,
  );
  if (settings.order === "stop-first") await drain();
  const before = await serviceContainerIds(ctx.engine, project, step.service);
  let added: string[] = [];
  if (step.add > 0) {
    added = (await addReplicasLike(ctx.engine, project, step.service, spec.hash, step.add)) ?? [];
  }
  if (step.add > 0 && added.length === 0) {
    await compose.run(
      {
        kind: "up",
        services: [step.service],
        noDeps: true,
        noRecreate: true,
        scale: { [step.service]: before.length + step.add },
      },
      `compose up of ${project} service ${step.service}`,
    );
    const after = await serviceContainerIds(ctx.engine, project, step.service);
    added = after.filter((id) => !before.includes(id));
  }
  // Start-first: the old containers leave rotation as soon as every replacement is ready, so
  // their drain runs during the batch's monitor window instead of after it. They keep running
  // until the monitor passes: a replacement that fails within it puts them back in rotation.
  let draining: Promise<Drain> | undefined;
  const onAllReady =
    settings.order === "start-first" && step.remove.length > 0
      ? () => {
          draining = beginDrain(ctx.engine, step.service, step.remove, settings.drainSeconds, {
            log: ctx.log,
            signal: ctx.signal,
          });
        }
      : undefined;
  let verdicts: ContainerVerdict[];
  try {
    verdicts = await watchContainers(ctx.engine, added, spec.health, settings.monitorSeconds, ctx.signal, onAllReady);
  } catch (err) {
    // Cancelled mid-monitor: whatever was draining serves again.
    await draining?.then((d) => d.restore()).catch(() => undefined);
    throw err;
  }
  const failed = verdicts.filter((v) => !isOk(v));
  // Broken new containers leave at once (no drain: they should not be serving).
  if (failed.length > 0) {
    if (draining) await (await draining).restore();
    await drainAndRemove(
      ctx.engine,
      step.service,
      failed.map((v) => v.id),
      0,
      { log: ctx.log, stopGraceSeconds: 1 },
    );
  }
  // Old containers retire only when their replacements came up; otherwise they keep serving.
  if (settings.order === "start-first" && failed.length === 0) {
    const keeper = phase === "update" ? ctx.keeper : undefined;
    if (keeper) {
      // confirm_upgrade: drained, then kept running out of rotation (stopped after the last batch).
      const began =
        draining ??
        beginDrain(ctx.engine, step.service, step.remove, settings.drainSeconds, { log: ctx.log, signal: ctx.signal });
      retiring.add(began.then((d) => keeper.retire(step.service, step.remove, d)));
    } else retiring.add(draining ? draining.then((d) => d.finish()) : drain());
  }
  await record(ctx, phase, step.service, step.batch, step.batches, added, step.remove, verdicts, started);
  const outcome: StepOutcome = { failedBy: new Map(), details: [] };
  tally(outcome, step.service, verdicts);
  return outcome;
}

function isOk(v: ContainerVerdict): boolean {
  return v.state === "healthy" || v.state === "running";
}

function tally(outcome: StepOutcome, service: string, verdicts: ContainerVerdict[]): void {
  const failed = verdicts.filter((v) => !isOk(v));
  if (failed.length === 0) return;
  outcome.failedBy.set(service, (outcome.failedBy.get(service) ?? 0) + failed.length);
  outcome.details.push(...failed.map((v) => `${v.id.slice(0, 12)} ${v.state}: ${v.detail}`));
}

async function record(
  ctx: RolloutContext,
  phase: Phase,
  service: string,
  batch: number,
  batches: number,
  added: string[],
  removed: string[],
  verdicts: ContainerVerdict[],
  startedAt: number,
): Promise<void> {
  const status = verdicts.every(isOk) ? "success" : "failed";
  await ctx.onBatch?.({
    phase,
    service,
    batch,
    batches,
    added,
    removed,
    status,
    health: verdicts.map((v) => ({ id: v.id, state: v.state, detail: v.detail })),
    startedAt,
    finishedAt: Date.now(),
  });
}

export function cancelled(): DeployError {
  return new DeployError("SLIPWAY_E_DEPLOY_CANCELLED", "the deployment was cancelled");
}
