import { isSlipwayError } from "../../core/index.js";
import { deployVersion, type EnvironmentTarget } from "../../deploy/index.js";
import type { DeployStage } from "../../pipelines/index.js";
import type { ApprovalStore, DeploymentStore } from "../../store/index.js";
import type { RunContext, StageOutcome } from "../stages/types.js";
import { checkGate } from "./approval-gate.js";
import type { DeployGate } from "./deploy-gate.js";
import { environmentTarget } from "./environment-target.js";

/** A deploy stage waits this long for another runner's deployment of the environment. */
const LOCK_WAIT_MS = 15 * 60_000;

/**
 * The daemon's deploy stage: a thin caller of `deploy/`. Deployments of one environment are
 * ordered by the DeployGate (a newer waiting run supersedes an older waiting one) and, across
 * runners, by the store's environment lock; the executor does the rest (plan, batches,
 * health, drain, rollback) and records the deployment.
 */
export function createDeployHandler(
  gate: DeployGate,
  repository: string,
  deps: { records: DeploymentStore; holder: string; approvals: ApprovalStore },
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
    const turn = await gate.enter(`${repository}/${stage.environment}`, ctx.runNumber);
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
      turn.release();
    }
  };
}
