import { randomBytes } from "node:crypto";
import { mkdir, realpath, rm } from "node:fs/promises";
import { basename, join, relative } from "node:path";
import { simpleGit } from "simple-git";
import { Workspace } from "../builders/index.js";
import {
  checkoutWorkspace,
  collectGarbage,
  currentBranch,
  type Engine,
  originUrl,
  resolveRef,
} from "../engine/index.js";
import {
  classifyRef,
  computeVersion,
  defaultFlow,
  formatProblem,
  loadPipelineFile,
  planStages,
  sanitizeTag,
} from "../pipelines/index.js";
import { type StageResult, stageHeader } from "./report.js";
import { type RunContext, runEnvironment } from "./run-context.js";
import { nextRunNumber } from "./run-number.js";
import { executeStage } from "./stages.js";

export interface LocalRunOptions {
  engine: Engine;
  /** Directory of the pipeline (slipway.yml) inside a git repository; may be a subdirectory. */
  repo: string;
  /** Branch, tag or sha; default: the repository's current branch (or HEAD). */
  ref?: string;
  /** Run only these stages (by name); the others are reported as skipped. */
  only?: string[];
  dataDir: string;
  owner: string;
  /** Seconds between SIGTERM and SIGKILL for a cancelled step (default 10). */
  graceSeconds?: number;
  signal?: AbortSignal;
  log(line: string): void;
}

export interface LocalRunResult {
  runId: string;
  runNumber: number;
  ok: boolean;
  cancelled: boolean;
  version?: string;
  tags: string[];
  stages: StageResult[];
  /** Pipeline problems or setup errors that stopped the run before any stage. */
  errors: string[];
}

/**
 * `slipway run`: runs a ref's pipeline on the local engine, without a daemon. The ref is
 * checked out into a fresh directory (the user's working tree is never built in), stages
 * run in order until one fails, and everything the run created is removed at the end,
 * whatever happened.
 */
export async function runLocal(opts: LocalRunOptions): Promise<LocalRunResult> {
  const signal = opts.signal ?? new AbortController().signal;
  const repoDir = await realpath(opts.repo);
  const top = (await simpleGit(repoDir).revparse(["--show-toplevel"])).trim();
  const subdir = relative(top, repoDir);
  const resolved = await resolveRef(top, opts.ref ?? (await currentBranch(top)) ?? "HEAD");
  const runNumber = await nextRunNumber(opts.dataDir, repoDir);
  const runId = `${sanitizeTag(basename(repoDir))}-${runNumber}-${randomBytes(3).toString("hex")}`;
  const result: LocalRunResult = { runId, runNumber, ok: false, cancelled: false, tags: [], stages: [], errors: [] };
  const checkoutDir = join(opts.dataDir, "workspaces", runId);
  const workspaceDir = join(checkoutDir, subdir);

  // Orphans of runs killed earlier (kill -9, power loss) are reaped before anything new starts.
  const reaped = await collectGarbage(opts.engine);
  if (reaped.removed.length > 0) opts.log(`gc: removed ${reaped.removed.length} resource(s) of dead runs`);

  let workspace: Workspace | undefined;
  try {
    opts.log(`run ${runId}: ${resolved.ref} @ ${resolved.sha.slice(0, 12)}`);
    await checkoutWorkspace(top, resolved.sha, checkoutDir);
    const parsed = await loadPipelineFile(join(workspaceDir, "slipway.yml"));
    if (!parsed.ok) {
      for (const p of parsed.problems) result.errors.push(formatProblem({ ...p, file: join(subdir, "slipway.yml") }));
      for (const e of result.errors) opts.log(e);
      return result;
    }
    const pipeline = parsed.pipeline;
    const refInfo = classifyRef(resolved.ref, pipeline.flow ?? defaultFlow(), { isTag: resolved.isTag });
    const version = computeVersion(refInfo, runNumber);
    result.version = version.version;
    result.tags = version.tags;
    opts.log(`${refInfo.name} is a ${refInfo.kind} ref: version ${version.version}, tags ${version.tags.join(", ")}`);

    const planned = planStages(pipeline, refInfo);
    const unknown = (opts.only ?? []).filter((n) => !planned.some((p) => p.stage.name === n));
    if (unknown.length > 0) {
      result.errors.push(
        `--only names unknown stage(s) ${unknown.join(", ")}; stages: ${planned.map((p) => p.stage.name).join(", ")}`,
      );
      opts.log(result.errors[0]!);
      return result;
    }

    workspace = await Workspace.create(opts.engine, { runId, owner: opts.owner, hostDir: workspaceDir });
    const ctx: RunContext = {
      engine: opts.engine,
      runId,
      runNumber,
      owner: opts.owner,
      pipeline,
      workspaceDir,
      workspace,
      artifactsDir: join(opts.dataDir, "runs", runId, "artifacts"),
      refInfo,
      sha: resolved.sha,
      version,
      source: (await originUrl(top)) ?? top,
      env: runEnvironment({ runId, runNumber, refInfo, sha: resolved.sha, version, pipeline }),
      graceSeconds: opts.graceSeconds ?? 10,
      log: opts.log,
      builderImages: new Map(),
    };
    await mkdir(ctx.artifactsDir, { recursive: true });

    let failed = false;
    for (const { stage, skipped, reason } of planned) {
      const base = { name: stage.name, type: stage.type, durationMs: 0 };
      if (opts.only && !opts.only.includes(stage.name)) {
        result.stages.push({ ...base, status: "skipped", detail: "not selected by --only" });
      } else if (skipped) {
        result.stages.push({ ...base, status: "skipped", detail: reason });
      } else if (failed || signal.aborted) {
        result.stages.push({
          ...base,
          status: "skipped",
          detail: signal.aborted ? "run cancelled" : "an earlier stage failed",
        });
      } else {
        const outcome = await runTimedStage(ctx, stage, signal);
        result.stages.push(outcome);
        failed = outcome.status !== "success";
        if (outcome.status === "cancelled") result.cancelled = true;
      }
    }
    result.ok = !failed && !signal.aborted;
    result.cancelled ||= signal.aborted;
    return result;
  } finally {
    if (workspace) await workspace[Symbol.asyncDispose]().catch(() => {});
    // Whatever a stage left behind (a step container mid-stop, a stack) goes now, by label.
    await collectGarbage(opts.engine, { runId, isAlive: () => false }).catch(() => {});
    await rm(checkoutDir, { recursive: true, force: true });
  }
}

async function runTimedStage(
  ctx: RunContext,
  stage: RunContext["pipeline"]["stages"][number],
  runSignal: AbortSignal,
): Promise<StageResult> {
  const kind = stage.type === "build" ? `builder ${stage.builder}` : stage.type;
  ctx.log(stageHeader(stage.name, kind));
  const started = performance.now();
  const timeout = stage.timeoutSeconds ? AbortSignal.timeout(stage.timeoutSeconds * 1000) : undefined;
  const signal = timeout ? AbortSignal.any([runSignal, timeout]) : runSignal;
  const base = { name: stage.name, type: stage.type };
  try {
    const outcome = await executeStage(ctx, stage, signal);
    const durationMs = performance.now() - started;
    if (timeout?.aborted && !runSignal.aborted) {
      return { ...base, status: "failed", durationMs, detail: `timed out after ${stage.timeoutSeconds}s` };
    }
    const status = outcome.cancelled ? "cancelled" : outcome.ok ? "success" : "failed";
    return { ...base, status, durationMs, detail: outcome.detail };
  } catch (err) {
    const error = err as Error & { code?: string };
    ctx.log(`error: ${error.code ? `${error.code}: ` : ""}${error.message}`);
    return {
      ...base,
      status: runSignal.aborted ? "cancelled" : "failed",
      durationMs: performance.now() - started,
      detail: error.code ?? error.message.split("\n")[0],
    };
  }
}
