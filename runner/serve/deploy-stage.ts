import { join } from "node:path";
import {
  detectCompose,
  projectContainers,
  runCompose,
  sanitizeProjectName,
  waitForServices,
} from "../../compose/index.js";
import type { DeployStage } from "../../pipelines/index.js";
import type { RunContext, StageOutcome } from "../stages/types.js";
import type { DeployGate } from "./deploy-gate.js";

/**
 * The deploy stage as far as the daemon takes it today: deployments of a repository are
 * ordered through the DeployGate (a newer waiting run supersedes an older one), and the
 * environment's compose project is brought to the run's image with `up -d`, then checked
 * healthy through the engine. Rolling and blue-green upgrades build on this later.
 */
export function createDeployHandler(
  gate: DeployGate,
  repository: string,
  onDeployed: (ctx: RunContext, env: string, project: string) => Promise<void>,
) {
  return async (ctx: RunContext, stage: DeployStage, signal: AbortSignal): Promise<StageOutcome> => {
    const env = ctx.pipeline.environments[stage.environment];
    if (!env) return { ok: false, detail: `no environment ${stage.environment}` };
    if (env.approval === "manual") {
      return {
        ok: true,
        skipped: true,
        detail: `${stage.environment} needs manual approval (not supported by this runner yet)`,
      };
    }
    const turn = await gate.enter(repository, ctx.runNumber);
    try {
      if (turn.superseded) {
        ctx.log(`deploy to ${stage.environment} superseded by run #${turn.superseded}`);
        return { ok: true, skipped: true, detail: `superseded by run #${turn.superseded}` };
      }
      if (signal.aborted) return { ok: false, cancelled: true, detail: "cancelled" };
      const project = sanitizeProjectName(env.project ?? `${ctx.pipeline.name}-${stage.environment}`);
      const file = join(ctx.workspaceDir, env.compose);
      const target = { project, files: [file], projectDirectory: ctx.workspaceDir };
      const cli = await detectCompose();
      const up = await runCompose(cli, target, { kind: "up", services: [] }, { env: ctx.env, onLine: ctx.log });
      if (up.exitCode !== 0) return { ok: false, detail: `compose up of ${project} exited ${up.exitCode}` };
      const services = [...(await projectContainers(ctx.engine, project)).keys()];
      await waitForServices({
        engine: ctx.engine,
        project,
        services,
        timeoutSeconds: Math.max(30, (env.update.monitorSeconds ?? 5) * 6),
        signal,
        log: ctx.log,
        logsOf: async (service) =>
          (await runCompose(cli, target, { kind: "logs", services: [service], tail: 30 }, { env: ctx.env })).out.split(
            "\n",
          ),
      });
      await onDeployed(ctx, stage.environment, project);
      return { ok: true, detail: `${project} now runs ${ctx.env.SLIPWAY_IMAGE ?? ctx.version.version}` };
    } finally {
      turn.release();
    }
  };
}
