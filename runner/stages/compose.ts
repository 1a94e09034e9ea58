import { join } from "node:path";
import { WORKSPACE_PATH } from "../../builders/index.js";
import { runIntegrationStage } from "../../compose/index.js";
import type { ComposeStage } from "../../pipelines/index.js";
import { builderImage } from "./build.js";
import type { RunContext, StageOutcome } from "./types.js";

/** The integration stage: isolated compose stacks from compose/, wired to this run. */
export async function integrationStage(
  ctx: RunContext,
  stage: ComposeStage,
  signal: AbortSignal,
): Promise<StageOutcome> {
  const result = await runIntegrationStage({
    engine: ctx.engine,
    stage,
    runId: ctx.runId,
    owner: ctx.owner,
    workspaceDir: ctx.workspaceDir,
    trusted: ctx.trusted,
    workspace: { volume: ctx.workspace.volume, mountPath: WORKSPACE_PATH },
    env: { ...ctx.env, ...stage.env, SLIPWAY_STAGE: stage.name },
    resolveBuilderImage: async (name) => {
      const image = await builderImage(ctx, name, signal);
      await ctx.workspace.seed(image);
      return image;
    },
    artifactsDir: join(ctx.artifactsDir, stage.name),
    log: (line) => ctx.log(line),
    signal,
  });
  const shards = `${result.shards.filter((s) => s.ok).length}/${result.shards.length} shard(s) passed`;
  const junit = result.junit
    ? `, tests ${result.junit.passed} passed ${result.junit.failed + result.junit.errors} failed`
    : "";
  if (signal.aborted && !result.ok) return { ok: false, cancelled: true, detail: "cancelled" };
  if (result.ok) return { ok: true, detail: `${shards}${junit}` };
  // The code leads, as a build stage's detail is its error code: tests and users match on it.
  const why = result.error ?? `${shards}${junit}`;
  return { ok: false, detail: result.code ? `${result.code}: ${why}` : why };
}
