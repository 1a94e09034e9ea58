import { join } from "node:path";
import { packageImage, resolveBuilderImage, runStep } from "../builders/index.js";
import { slipwayLabels } from "../engine/index.js";
import type { BuildStage, DeployStage, PackageStage, PushStage, Stage } from "../pipelines/index.js";
import type { RunContext } from "./run-context.js";

export interface StageOutcome {
  ok: boolean;
  cancelled?: boolean;
  /** The stage decided not to do anything here (reported as skipped, does not fail the run). */
  skipped?: boolean;
  /** Status line for the final table. */
  detail?: string;
}

/** Stage kinds whose work needs the daemon's configuration (registries, environments). */
export interface StageHandlers {
  push?(ctx: RunContext, stage: PushStage, signal: AbortSignal): Promise<StageOutcome>;
  deploy?(ctx: RunContext, stage: DeployStage, signal: AbortSignal): Promise<StageOutcome>;
}

/** Runs one stage of a run; the caller handles headers, timing, timeouts and cancellation. */
export async function executeStage(ctx: RunContext, stage: Stage, signal: AbortSignal): Promise<StageOutcome> {
  switch (stage.type) {
    case "build":
      return buildStage(ctx, stage, signal);
    case "package":
      return packageStage(ctx, stage, signal);
    case "compose": {
      const { integrationStage } = await import("./integration.js");
      return integrationStage(ctx, stage, signal);
    }
    case "push":
      if (ctx.handlers.push) return ctx.handlers.push(ctx, stage, signal);
      return notHere(stage);
    case "deploy":
      if (ctx.handlers.deploy) return ctx.handlers.deploy(ctx, stage, signal);
      return notHere(stage);
  }
}

// Pushing needs registry credentials and deploying needs environments: both belong to the
// daemon (`slipway serve`), which owns that configuration; a local run says so.
function notHere(stage: Stage): StageOutcome {
  return { ok: true, skipped: true, detail: `not run locally: ${stage.type} runs under slipway serve` };
}

/** The image of a builder, built or reused once per run. */
export async function builderImage(ctx: RunContext, name: string, signal?: AbortSignal): Promise<string> {
  const known = ctx.builderImages.get(name);
  if (known) return known;
  const def = ctx.pipeline.builders[name];
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

async function buildStage(ctx: RunContext, stage: BuildStage, signal: AbortSignal): Promise<StageOutcome> {
  const image = await builderImage(ctx, stage.builder, signal);
  await ctx.workspace.seed(image);
  const outcome = await runStep(
    ctx.engine,
    {
      image,
      commands: stage.commands,
      env: { ...ctx.env, ...stage.env, SLIPWAY_STAGE: stage.name },
      workspaceVolume: ctx.workspace.volume,
      labels: slipwayLabels({ owner: ctx.owner, runId: ctx.runId, role: "builder", stage: stage.name }),
    },
    { onLine: (line) => ctx.log(line), signal, graceSeconds: ctx.graceSeconds },
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

async function packageStage(ctx: RunContext, stage: PackageStage, signal: AbortSignal): Promise<StageOutcome> {
  if (!ctx.pipeline.image) return { ok: false, detail: "the pipeline has no `image:` to package into" };
  const { refs } = await packageImage(ctx.engine, {
    workspaceDir: ctx.workspaceDir,
    dockerfile: stage.dockerfile,
    context: stage.context,
    image: ctx.pipeline.image,
    tags: ctx.version.tags,
    buildArgs: { ...stage.buildArgs },
    revision: ctx.sha,
    version: ctx.version.version,
    source: ctx.source,
    runId: ctx.runId,
    onLine: (line) => ctx.log(line),
    signal,
  });
  return { ok: true, detail: refs.join(", ") };
}
