import { packageImage } from "../../builders/index.js";
import type { PackageStage } from "../../pipelines/index.js";
import type { RunContext, StageOutcome } from "./types.js";

/** The package stage: builds the pipeline's `image:` from the checkout, tagged with the run's tags. */
export async function packageStage(ctx: RunContext, stage: PackageStage, signal: AbortSignal): Promise<StageOutcome> {
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
    source: await ctx.source(),
    runId: ctx.runId,
    onLine: (line) => ctx.log(line),
    signal,
  });
  return { ok: true, detail: refs.join(", ") };
}
