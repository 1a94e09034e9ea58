import type { Pipeline, RefInfo, VersionInfo } from "../pipelines/index.js";

/** The SLIPWAY_* variables of a run, as steps and compose stacks see them. */
export function runEnvironment(opts: {
  runId: string;
  runNumber: number;
  refInfo: RefInfo;
  sha: string;
  version: VersionInfo;
  pipeline: Pipeline;
}): Record<string, string> {
  const env: Record<string, string> = {
    SLIPWAY: "true",
    SLIPWAY_RUN_ID: opts.runId,
    SLIPWAY_RUN_NUMBER: String(opts.runNumber),
    SLIPWAY_REF: opts.refInfo.ref,
    SLIPWAY_REF_NAME: opts.refInfo.name,
    SLIPWAY_SHA: opts.sha,
    SLIPWAY_SHORT_SHA: opts.sha.slice(0, 8),
    SLIPWAY_FLOW_KIND: opts.refInfo.kind,
    SLIPWAY_VERSION: opts.version.version,
    SLIPWAY_PIPELINE: opts.pipeline.name,
  };
  if (opts.refInfo.isTag) env.SLIPWAY_TAG = opts.refInfo.name;
  else env.SLIPWAY_BRANCH = opts.refInfo.name;
  if (opts.pipeline.image) {
    env.SLIPWAY_IMAGE = `${opts.pipeline.image}:${opts.version.version}`;
    // Compose files refer to the packaged image as ${IMAGE}.
    env.IMAGE = env.SLIPWAY_IMAGE;
  }
  return env;
}
