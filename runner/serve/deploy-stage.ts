import { isSlipwayError } from "../../core/index.js";
import { awaitDeployTurn, type DeployTurn, deployVersion, type EnvironmentTarget } from "../../deploy/index.js";
import type { DeployStage } from "../../pipelines/index.js";
import type { ApprovalStore, DeploymentStore, DeployQueueStore } from "../../store/index.js";
import type { RunContext, StageOutcome } from "../stages/types.js";
import { checkGate } from "./approval-gate.js";
import { environmentTarget } from "./environment-target.js";

/**
 * Once its turn came (nobody held the lock), a deploy stage waits this long for the lock when an
 * explicit deploy or rollback took it in between.
 */
const LOCK_WAIT_MS = 15 * 60_000;

/**
 * The daemon's deploy stage: a thin caller of `deploy/`. The deploy stages of one environment
 * take turns in the store's deploy queue, across every runner on the database (a newer waiting
 * run supersedes an older waiting one: `awaitDeployTurn`), and the store's environment lock
 * orders them against explicit deploys and rollbacks; the executor does the rest (plan,
 * batches, health, drain, rollback) and records the deployment.
 */
export function createDeployHandler(
  repository: string,
  deps: { records: DeploymentStore; queue: DeployQueueStore; holder: string; approvals: ApprovalStore },
  onDeployed: (ctx: RunContext, env: string, project: string) => Promise<void>,
) {
  return async (ctx: RunContext, stage: DeployStage, signal: AbortSignal): Promise<StageOutcome> => {
    const env = ctx.pipeline.environments[stage.environment];
    if (!env) return { ok: false, detail: `no environment ${stage.environment}` };
    // Containment and trust (environmentTarget) come before any approval is asked for:
    // approving a deploy that cannot run helps nobody.
    let target: EnvironmentTarget;
    try {
      target = await environmentTarget({
        repository,
        pipelineName: ctx.pipeline.name,
        environment: env,
        checkout: ctx.workspaceDir,
        trusted: ctx.trusted,
        version: ctx.version.version,
        variables: ctx.env,
      });
    } catch (err) {
      if (isSlipwayError(err)) {
        ctx.log(`${err.code}: ${err.message}`);
        return { ok: false, detail: `${err.code}: ${err.message.split("\n")[0]}` };
      }
      throw err;
    }
    // Manual approval and deploy window: either the run parks here (it resumes at this stage
    // once approved / the window opens) or goes on, or the window refuses it.
    const verdict = await checkGate(deps.approvals, {
      runId: ctx.runId,
      stage: stage.name,
      repository,
      environment: env,
      now: Date.now(),
    });
    if (verdict.kind === "wait") {
      ctx.log(verdict.reason);
      return { ok: true, waiting: verdict.reason };
    }
    if (verdict.kind === "refuse") {
      ctx.log(`${verdict.error.code}: ${verdict.error.message}`);
      return { ok: false, detail: `${verdict.error.code}: ${verdict.error.message}` };
    }
    if (verdict.note) ctx.log(`deploy to ${stage.environment}: ${verdict.note}`);
    let turn: DeployTurn;
    try {
      turn = await awaitDeployTurn(
        { queue: deps.queue, locks: deps.records },
        {
          repository,
          environment: stage.environment,
          runId: ctx.runId,
          stage: stage.name,
          runNumber: ctx.runNumber,
          runner: deps.holder,
        },
        { signal, log: ctx.log },
      );
    } catch (err) {
      if (signal.aborted) return { ok: false, cancelled: true, detail: "cancelled" };
      throw err;
    }
    try {
      if (turn.superseded) {
        ctx.log(`deploy to ${stage.environment} superseded by run #${turn.superseded}, which is waiting too`);
        return { ok: true, skipped: true, detail: `superseded by run #${turn.superseded}` };
      }
      if (signal.aborted) return { ok: false, cancelled: true, detail: "cancelled" };
      const row = await deployVersion(target, {
        engine: ctx.engine,
        records: deps.records,
        holder: deps.holder,
        log: ctx.log,
        signal,
        trigger: "stage",
        runId: ctx.runId,
        lockWaitMs: LOCK_WAIT_MS,
      });
      await onDeployed(ctx, stage.environment, target.project);
      return { ok: true, detail: `${target.project} now runs ${ctx.version.version} (${row.outcome ?? "done"})` };
    } catch (err) {
      if (signal.aborted) return { ok: false, cancelled: true, detail: "cancelled" };
      if (isSlipwayError(err)) {
        ctx.log(`${err.code}: ${err.message}`);
        return { ok: false, detail: `${err.code}: ${err.message.split("\n")[0]}` };
      }
      throw err;
    } finally {
      await turn.release();
    }
  };
}
