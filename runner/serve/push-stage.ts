import type { RegistryConfig } from "../../config/index.js";
import type { RegistryAuth } from "../../engine/index.js";
import { type PushStage, resolvePushTags } from "../../pipelines/index.js";
import type { RunContext, StageOutcome } from "../stages/types.js";

/** Registry host of an image reference, as Docker decides it (`docker.io` when none is named). */
export function registryHost(image: string): string {
  const first = image.split("/")[0] ?? "";
  const named = image.includes("/") && (first.includes(".") || first.includes(":") || first === "localhost");
  return named ? first : "docker.io";
}

export interface PushRecord {
  ref: string;
  digest?: string;
}

/**
 * The push stage: every tag of the run (or the stage's templates) is pointed at the image the
 * package stage built and pushed with the credentials configured for the image's registry.
 * Credentials reach the daemon in a header only; every log line is masked anyway.
 */
export function createPushHandler(
  registries: readonly RegistryConfig[],
  onPushed: (ctx: RunContext, records: PushRecord[]) => Promise<void>,
) {
  return async (ctx: RunContext, stage: PushStage, signal: AbortSignal): Promise<StageOutcome> => {
    const image = stage.registry ? `${stage.registry}/${ctx.pipeline.image}` : ctx.pipeline.image;
    if (!image || !ctx.pipeline.image) return { ok: false, detail: "the pipeline has no `image:` to push" };
    const source = `${ctx.pipeline.image}:${ctx.version.version}`;
    const imageId = await ctx.engine.imageId(source);
    if (!imageId) return { ok: false, detail: `${source} does not exist: did the package stage run?` };
    const host = registryHost(image);
    const registry = registries.find((r) => r.host === host);
    const auth: RegistryAuth | undefined = registry
      ? { username: registry.username, password: registry.password.reveal(), serveraddress: host }
      : undefined;
    if (!registry) ctx.log(`no credentials configured for ${host}: pushing anonymously`);
    const records: PushRecord[] = [];
    for (const tag of resolvePushTags(stage, ctx.refInfo, ctx.runNumber, ctx.sha)) {
      const ref = `${image}:${tag}`;
      await ctx.engine.tagImage(imageId, ref);
      const { digest } = await ctx.engine.pushImage(ref, auth, (line) => ctx.log(line), signal);
      ctx.log(`pushed ${ref}${digest ? ` ${digest}` : ""}`);
      records.push({ ref, digest });
    }
    await onPushed(ctx, records);
    return { ok: true, detail: records.map((r) => `${r.ref}@${r.digest?.slice(0, 19) ?? "?"}`).join(", ") };
  };
}
