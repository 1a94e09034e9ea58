import type { Workspace } from "../builders/index.js";
import type { Engine } from "../engine/index.js";
import type { Pipeline, RefInfo, VersionInfo } from "../pipelines/index.js";
import type { StageHandlers } from "./stages.js";

/** Everything a stage executor needs to know about the run it belongs to. */
export interface RunContext {
  engine: Engine;
  runId: string;
  runNumber: number;
  owner: string;
  pipeline: Pipeline;
  /** Host directory holding this run's checkout (root of the pipeline, i.e. where slipway.yml is). */
  workspaceDir: string;
  workspace: Workspace;
  /** Per-run directory for artifacts (`<dataDir>/runs/<runId>/artifacts`). */
  artifactsDir: string;
  refInfo: RefInfo;
  sha: string;
  version: VersionInfo;
  /** `org.opencontainers.image.source`: the repository's origin URL or path. */
  source: string;
  /** SLIPWAY_* variables given to every step and stack. */
  env: Record<string, string>;
  graceSeconds: number;
  log(line: string): void;
  /** Builder image refs resolved so far in this run, by builder name. */
  builderImages: Map<string, string>;
  /** Push and deploy implementations supplied by the daemon. */
  handlers: StageHandlers;
}

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
