import type { Workspace } from "../../builders/index.js";
import type { Engine } from "../../engine/index.js";
import type { Pipeline, RefInfo, Stage, VersionInfo } from "../../pipelines/index.js";

/**
 * The contract between the executors (`slipway run` and the daemon) and the stage handlers.
 * Both sides import this module and nothing else of each other, so there is no cycle.
 */

/** Everything a stage handler needs to know about the run it belongs to. */
export interface RunContext {
  engine: Engine;
  runId: string;
  runNumber: number;
  owner: string;
  pipeline: Pipeline;
  /** Host directory holding this run's checkout (root of the pipeline, i.e. where slipway.yml is). */
  workspaceDir: string;
  /**
   * Resolves once `workspaceDir` is checked out, making the checkout on the first call
   * (`slipway run` checks out while the first step's container starts); whatever reads the
   * checkout calls it first.
   */
  workspaceReady: () => Promise<void>;
  workspace: Workspace;
  /** Per-run directory for artifacts (`<dataDir>/runs/<runId>/artifacts`). */
  artifactsDir: string;
  refInfo: RefInfo;
  sha: string;
  version: VersionInfo;
  /** `org.opencontainers.image.source`: the repository's origin URL or path. */
  source: () => Promise<string>;
  /** SLIPWAY_* variables given to every step and stack. */
  env: Record<string, string>;
  graceSeconds: number;
  log(line: string): void;
  /** Builder image refs resolved so far in this run, by builder name. */
  builderImages: Map<string, string>;
  /**
   * Whether the repository may use host-level powers in its compose stacks (bind mounts
   * outside the checkout, privileged, host namespaces, devices): docs/security.md.
   */
  trusted: boolean;
}

export interface StageOutcome {
  ok: boolean;
  cancelled?: boolean;
  /** The stage decided not to do anything here (reported as skipped, does not fail the run). */
  skipped?: boolean;
  /** Status line for the final table. */
  detail?: string;
  /**
   * The stage cannot go on yet (a manual approval, a closed deploy window): the run parks
   * here, and resumes at this stage later. The text says what it waits for.
   */
  waiting?: string;
}

/** A pipeline stage type: the key the registry dispatches on. */
export type StageType = Stage["type"];
/** The parsed stage of one type (`StageOf<"push">` is `PushStage`). */
export type StageOf<T extends StageType> = Extract<Stage, { type: T }>;

/**
 * Runs one stage of a run; the executor handles headers, timing, timeouts and cancellation
 * (`signal` aborts on cancel and on the stage's timeout). A failure is `{ok: false}` or a
 * thrown SlipwayError, whose code becomes the stage's detail.
 */
export type StageHandler<T extends StageType = StageType> = (
  ctx: RunContext,
  stage: StageOf<T>,
  signal: AbortSignal,
) => Promise<StageOutcome>;
