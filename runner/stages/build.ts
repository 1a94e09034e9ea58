import { join } from "node:path";
import { resolveBuilderImage, runStep } from "../../builders/index.js";
import { slipwayLabels } from "../../engine/index.js";
import type { BuildStage } from "../../pipelines/index.js";
import type { RunContext, StageOutcome } from "./types.js";

/** The image of a builder, built or reused once per run. */
export async function builderImage(ctx: RunContext, name: string, signal?: AbortSignal): Promise<string> {
  const known = ctx.builderImages.get(name);
  if (known) return known;
  const def = ctx.pipeline.builders[name];
  // The parser refuses a stage naming an undefined builder, so this is a bug, not bad input.
  if (!def) throw new Error(`unknown builder ${name}`);
  const resolved = await resolveBuilderImage(ctx.engine, def, ctx.workspaceDir, (line) => ctx.log(`  ${line}`), signal);
  ctx.log(
    resolved.built
      ? `builder ${name}: built ${resolved.ref}`
      : `builder ${name}: using ${resolved.ref} (${resolved.imageId.slice(7, 19)}, reused)`,
  );
  ctx.builderImages.set(name, resolved.ref);
  return resolved.ref;
}

export async function buildStage(ctx: RunContext, stage: BuildStage, signal: AbortSignal): Promise<StageOutcome> {
  const image = await builderImage(ctx, stage.builder, signal);
  // The run's first step fills the workspace volume while its container starts.
  const fill = ctx.workspace.fillBeside(image);
  const outcome = await runStep(
    ctx.engine,
    {
      image,
      commands: stage.commands,
      env: { ...ctx.env, ...stage.env, SLIPWAY_STAGE: stage.name },
      workspaceVolume: ctx.workspace.volume,
      labels: slipwayLabels({ owner: ctx.owner, runId: ctx.runId, role: "builder", stage: stage.name }),
      waitForFile: fill?.waitForFile,
    },
    {
      onLine: (line) => ctx.log(line),
      signal,
      graceSeconds: ctx.graceSeconds,
      besideStart: fill?.fill,
    },
  );
  try {
    if (outcome.cancelled) return { ok: false, cancelled: true, detail: "cancelled" };
    if (outcome.exitCode !== 0) return { ok: false, detail: `exit code ${outcome.exitCode}` };
    if (stage.artifacts.length === 0) return { ok: true };
    const files = await ctx.workspace.collectArtifacts(
      outcome.containerId,
      stage.artifacts,
      join(ctx.artifactsDir, stage.name),
    );
    return { ok: true, detail: `${files.length} artifact file(s)` };
  } finally {
    await ctx.engine.removeContainer(outcome.containerId);
  }
}
