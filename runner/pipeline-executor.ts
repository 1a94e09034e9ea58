import { mkdir } from "node:fs/promises";
import { Workspace } from "../builders/index.js";
import { describeError, isSlipwayError } from "../core/index.js";
import { collectGarbage, type Engine } from "../engine/index.js";
import {
  classifyRef,
  computeVersion,
  type Pipeline,
  type PlannedStage,
  planStages,
  type RefInfo,
  type Stage,
  type VersionInfo,
} from "../pipelines/index.js";
import { RunnerError } from "./errors.js";
import { type StageResult, stageHeader } from "./report.js";
import { runEnvironment } from "./run-context.js";
import { localStages, type StageRegistry } from "./stages/registry.js";
import type { RunContext } from "./stages/types.js";

export interface PipelineRunOptions {
  engine: Engine;
  runId: string;
  runNumber: number;
  owner: string;
  pipeline: Pipeline;
  /** Host directory of the checked-out commit where slipway.yml lives. */
  workspaceDir: string;
  /**
   * When `workspaceDir` is not checked out yet: makes the checkout on its first call (the same
   * promise on later ones); resolves once it is there. Default: it is there.
   */
  workspaceReady?: () => Promise<void>;
  ref: { ref: string; sha: string; isTag: boolean };
  /** `org.opencontainers.image.source`, or how to find it (`slipway run` asks git only when a package stage needs it). */
  source: string | (() => Promise<string>);
  artifactsDir: string;
  /** The repository is trusted (docs/security.md; default false); `slipway run` trusts, `serve` follows the config. */
  trusted?: boolean;
  /** Run only these stages; the others are reported as skipped. */
  only?: string[];
  /** Stages before this one are reported as skipped ("retry from"), it and later ones run. */
  fromStage?: string;
  /**
   * A waiting run resuming: stages before this one are neither run nor reported (their
   * results from before the wait stay as recorded); it and later ones run.
   */
  resumeFrom?: string;
  graceSeconds?: number;
  signal?: AbortSignal;
  log(line: string): void;
  /** The handlers to dispatch stages through (default `localStages()`: push and deploy do not run). */
  stages?: StageRegistry;
  onStageStart?(stage: Stage, position: number): void | Promise<void>;
  onStageEnd?(result: StageResult, position: number): void | Promise<void>;
}

export interface PipelineRunResult {
  ok: boolean;
  cancelled: boolean;
  /** The run parked at this stage (it waits); later stages are reported `pending`. */
  waiting?: { stage: string; reason: string };
  refInfo: RefInfo;
  version: VersionInfo;
  stages: StageResult[];
  planned: PlannedStage[];
}

/** Plans a ref's stages without running anything: the version, tags and which stages run. */
export function planRun(pipeline: Pipeline, ref: PipelineRunOptions["ref"], runNumber: number) {
  const refInfo = classifyRef(ref.ref, pipeline.flow, { isTag: ref.isTag });
  return { refInfo, version: computeVersion(refInfo, runNumber), planned: planStages(pipeline, refInfo) };
}

/**
 * Runs the stages of a checked-out pipeline in order until one fails or the run is
 * cancelled. Shared by `slipway run` and the daemon; the caller owns the checkout, this owns
 * the workspace volume and removes every labelled resource of the run before returning.
 */
export async function executePipeline(opts: PipelineRunOptions): Promise<PipelineRunResult> {
  const signal = opts.signal ?? new AbortController().signal;
  const { refInfo, version, planned } = planRun(opts.pipeline, opts.ref, opts.runNumber);
  const stages: StageResult[] = [];
  const fromIndex = opts.fromStage ? planned.findIndex((p) => p.stage.name === opts.fromStage) : 0;
  if (fromIndex < 0) throw new RunnerError("SLIPWAY_E_RUN_UNKNOWN_STAGE", `no stage named ${opts.fromStage}`);
  const resumeIndex = opts.resumeFrom ? planned.findIndex((p) => p.stage.name === opts.resumeFrom) : 0;
  if (resumeIndex < 0) throw new RunnerError("SLIPWAY_E_RUN_UNKNOWN_STAGE", `no stage named ${opts.resumeFrom}`);
  const workspaceReady = opts.workspaceReady ?? (() => Promise.resolve());
  const workspace = await Workspace.create(opts.engine, {
    runId: opts.runId,
    owner: opts.owner,
    hostDir: opts.workspaceDir,
    hostReady: workspaceReady,
  });
  try {
    const ctx: RunContext = {
      engine: opts.engine,
      runId: opts.runId,
      runNumber: opts.runNumber,
      owner: opts.owner,
      pipeline: opts.pipeline,
      workspaceDir: opts.workspaceDir,
      workspaceReady,
      workspace,
      artifactsDir: opts.artifactsDir,
      trusted: opts.trusted ?? false,
      refInfo,
      sha: opts.ref.sha,
      version,
      source: typeof opts.source === "string" ? () => Promise.resolve(opts.source as string) : opts.source,
      env: runEnvironment({ ...opts, refInfo, sha: opts.ref.sha, version }),
      graceSeconds: opts.graceSeconds ?? 10,
      log: opts.log,
      builderImages: new Map(),
    };
    const registry = opts.stages ?? localStages();
    await mkdir(ctx.artifactsDir, { recursive: true });
    let failed = false;
    let waiting: PipelineRunResult["waiting"];
    for (const [position, { stage, skipped, reason }] of planned.entries()) {
      const base = { name: stage.name, type: stage.type, durationMs: 0 };
      let result: StageResult;
      if (position < resumeIndex) continue;
      if (waiting && !skipped) {
        result = { ...base, status: "pending", detail: `after ${waiting.stage}` };
      } else if (opts.only && !opts.only.includes(stage.name)) {
        result = { ...base, status: "skipped", detail: "not selected by --only" };
      } else if (position < fromIndex) {
        result = { ...base, status: "skipped", detail: `retry starts at ${opts.fromStage}` };
      } else if (skipped) {
        result = { ...base, status: "skipped", detail: reason };
      } else if (failed || signal.aborted) {
        result = { ...base, status: "skipped", detail: signal.aborted ? "run cancelled" : "an earlier stage failed" };
      } else {
        await opts.onStageStart?.(stage, position);
        result = await runTimedStage(registry, ctx, stage, signal);
        failed = result.status === "failed" || result.status === "cancelled";
        if (result.status === "waiting") waiting = { stage: stage.name, reason: result.detail ?? "waiting" };
      }
      stages.push(result);
      await opts.onStageEnd?.(result, position);
    }
    const cancelled = signal.aborted || stages.some((s) => s.status === "cancelled");
    return { ok: !failed && !cancelled, cancelled, ...(waiting ? { waiting } : {}), refInfo, version, stages, planned };
  } finally {
    await workspace[Symbol.asyncDispose]().catch(() => {});
    // Whatever a stage left behind (a step container mid-stop, a stack) goes now, by label.
    await collectGarbage(opts.engine, { runId: opts.runId, isAlive: () => false }).catch(() => {});
  }
}

async function runTimedStage(
  registry: StageRegistry,
  ctx: RunContext,
  stage: Stage,
  runSignal: AbortSignal,
): Promise<StageResult> {
  const kind = stage.type === "build" ? `builder ${stage.builder}` : stage.type;
  ctx.log(stageHeader(stage.name, kind));
  const started = performance.now();
  const timeout = stage.timeoutSeconds ? AbortSignal.timeout(stage.timeoutSeconds * 1000) : undefined;
  const signal = timeout ? AbortSignal.any([runSignal, timeout]) : runSignal;
  const base = { name: stage.name, type: stage.type };
  try {
    // Only a build step on a plain image can be made before the checkout is there: its copy
    // into the workspace (Workspace.fillBeside) waits for the checkout by itself.
    if (stage.type !== "build" || !ctx.pipeline.builders[stage.builder]?.image) await ctx.workspaceReady();
    const outcome = await registry.dispatch(ctx, stage, signal);
    const durationMs = performance.now() - started;
    if (timeout?.aborted && !runSignal.aborted) {
      return { ...base, status: "failed", durationMs, detail: `timed out after ${stage.timeoutSeconds}s` };
    }
    if (outcome.waiting !== undefined && outcome.ok && !outcome.cancelled) {
      return { ...base, status: "waiting", durationMs, detail: outcome.waiting };
    }
    const status = outcome.cancelled ? "cancelled" : !outcome.ok ? "failed" : outcome.skipped ? "skipped" : "success";
    return { ...base, status, durationMs, detail: outcome.detail };
  } catch (err) {
    ctx.log(`error: ${describeError(err)}`);
    const durationMs = performance.now() - started;
    if (timeout?.aborted && !runSignal.aborted) {
      return { ...base, status: "failed", durationMs, detail: `timed out after ${stage.timeoutSeconds}s` };
    }
    const status = runSignal.aborted ? "cancelled" : "failed";
    const detail = isSlipwayError(err) ? err.code : describeError(err).split("\n")[0];
    return { ...base, status, durationMs, detail };
  }
}
