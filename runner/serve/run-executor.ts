import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Config, RepositoryConfig } from "../../config/index.js";
import type { Engine } from "../../engine/index.js";
import { formatProblem, PIPELINE_LIMITS, parsePipeline } from "../../pipelines/index.js";
import { createMasker } from "../../secrets/index.js";
import type { DeploymentStore, RunRow, Store } from "../../store/index.js";
import { RunnerError } from "../errors.js";
import { executePipeline, planRun } from "../pipeline-executor.js";
import { localStages, type StageRegistry } from "../stages/registry.js";
import type { RunContext } from "../stages/types.js";
import { recordArtifacts } from "./artifacts.js";
import { createDeployHandler } from "./deploy-stage.js";
import { isInterruption } from "./interruption.js";
import { ServeError } from "./listen.js";
import { type LiveBus, StageLogWriter } from "./live-logs.js";
import { createPushHandler, type PushRecord } from "./push-stage.js";
import { restoreArtifacts } from "./restore-artifacts.js";
import type { SourceCache } from "./sources.js";

/** Log stream of what happens before the first stage (checkout, pipeline problems). */
export const SETUP_LOG = "_setup";

export interface ExecutorDeps {
  config: Config;
  store: Store;
  engine: Engine;
  sources: SourceCache;
  bus: LiveBus;
  /** The deploy stage's records; the daemon passes the store's, observed for notifications and /api/events. */
  deployments?: DeploymentStore;
  /** Observes finished stages (metrics). */
  onStageFinished?(type: string, durationMs: number, status: string): void;
}

/** How a retry replays an earlier run: same commit and pipeline snapshot, from a stage onwards. */
export interface RetrySpec {
  fromStage: string;
  original: RunRow;
}

/** Every secret the runner knows, plus registry auth in the `user:password` form Docker encodes. */
export function runnerSecrets(config: Config): string[] {
  const extra = config.registries.map((r) => `${r.username}:${r.password.reveal()}`);
  return [...config.secrets(), ...extra];
}

/**
 * Executes one claimed run: worktree from the repository's mirror, the pipeline from the
 * run's snapshot (or the commit), stages with logs into the store as they come, then the
 * final status. Never throws: a failure becomes the run's status and error.
 */
export async function executeRun(
  deps: ExecutorDeps,
  run: RunRow,
  signal: AbortSignal,
  retry?: RetrySpec,
): Promise<RunRow["status"]> {
  const { store, bus } = deps;
  const mask = createMasker(runnerSecrets(deps.config));
  const setup = new StageLogWriter(store, bus, run.id, SETUP_LOG, mask);
  const repo = deps.config.repository(run.repository);
  let worktree: string | undefined;
  let status: RunRow["status"] = "failed";
  let error: string | null = null;
  // Set when the run parks before a deploy stage (approval, window): it resumes there later.
  let waitingAt: string | undefined;
  try {
    if (!repo)
      throw new RunnerError("SLIPWAY_E_RUN_UNKNOWN_REPOSITORY", `repository ${run.repository} is not configured`);
    setup.line(`run #${run.number} of ${run.repository}: ${run.ref} @ ${run.sha.slice(0, 12)} (${run.trigger})`);
    if (run.resumeFromStage) setup.line(`resuming at stage ${run.resumeFromStage}`);
    worktree = await deps.sources.checkout(repo, run.sha, run.id);
    const text = run.pipelineSnapshot ?? (await readFile(join(worktree, "slipway.yml"), "utf8").catch(() => ""));
    const parsed = parsePipeline(text, "slipway.yml");
    // An oversized file is refused by the parser (SLIPWAY_E_PIPELINE_TOO_LARGE) and never stored.
    if (!run.pipelineSnapshot && Buffer.byteLength(text) <= PIPELINE_LIMITS.bytes) {
      await store.updateRun(run.id, { pipelineSnapshot: text });
    }
    if (!parsed.ok) {
      for (const p of parsed.problems) setup.line(formatProblem(p));
      throw new RunnerError(
        "SLIPWAY_E_RUN_INVALID_PIPELINE",
        `invalid pipeline file (${parsed.problems.length} problem(s))`,
        { details: { problems: parsed.problems } },
      );
    }
    const ref = { ref: run.ref, sha: run.sha, isTag: run.ref.startsWith("refs/tags/") };
    // A retry from a stage rebuilds nothing before it, so it keeps the original's version and tags.
    const versionRun = retry ? retry.original.number : run.number;
    const { version } = planRun(parsed.pipeline, ref, versionRun);
    await store.updateRun(run.id, { version: version.version });
    const artifactsDir = join(deps.config.dataDir, "runs", run.id, "artifacts");
    if (retry) await restoreArtifacts(deps.config.dataDir, retry.original.id, artifactsDir, worktree);
    let writer = setup;
    const result = await executePipeline({
      engine: deps.engine,
      runId: run.id,
      runNumber: versionRun,
      owner: deps.config.runnerId,
      pipeline: parsed.pipeline,
      workspaceDir: worktree,
      ref,
      source: repo.url,
      artifactsDir,
      trusted: repo.trusted,
      fromStage: retry?.fromStage,
      resumeFrom: run.resumeFromStage ?? undefined,
      signal,
      log: (line) => writer.line(line),
      stages: daemonStages(deps, repo),
      onStageStart: async (stage, position) => {
        writer = new StageLogWriter(store, bus, run.id, stage.name, mask);
        await store.upsertStage(run.id, {
          name: stage.name,
          type: stage.type,
          position,
          status: "running",
          startedAt: Date.now(),
        });
        bus.publish({ type: "stage", runId: run.id, stage: stage.name, status: "running" });
      },
      onStageEnd: async (stage, position) => {
        if (writer !== setup) await writer.close();
        writer = setup;
        const finishedAt = Date.now();
        await store.upsertStage(run.id, {
          name: stage.name,
          type: stage.type,
          position,
          status: stage.status,
          durationMs: Math.round(stage.durationMs),
          finishedAt: QUIET_STATUSES.has(stage.status) ? undefined : finishedAt,
          detail: stage.detail ? mask(stage.detail) : undefined,
        });
        // What the stage left in its artifact dir (or a retry restored there) becomes downloadable.
        await recordArtifacts(store, deps.config.dataDir, run.id, stage.name).catch((err: Error) =>
          setup.line(`artifacts of ${stage.name} not indexed: ${mask(err.message)}`),
        );
        if (!QUIET_STATUSES.has(stage.status)) deps.onStageFinished?.(stage.type, stage.durationMs, stage.status);
        bus.publish({ type: "stage", runId: run.id, stage: stage.name, status: stage.status });
      },
    });
    status = result.cancelled ? "cancelled" : result.ok ? "success" : "failed";
    if (result.waiting && !result.cancelled) {
      status = "waiting";
      waitingAt = result.waiting.stage;
      setup.line(`run waits at stage ${result.waiting.stage}: ${result.waiting.reason}`);
    }
    const failedStage = result.stages.find((s) => s.status === "failed");
    if (failedStage) error = `stage ${failedStage.name} failed${failedStage.detail ? `: ${failedStage.detail}` : ""}`;
    const cut = result.stages.find((s) => s.status === "cancelled");
    if (isInterruption(signal.reason) && result.cancelled) {
      status = "failed";
      error = `${signal.reason.message}${cut ? ` (stage ${cut.name} was cut)` : ""}`;
      setup.line(error);
    }
  } catch (err) {
    status = signal.aborted ? (isInterruption(signal.reason) ? "failed" : "cancelled") : "failed";
    error = mask(isInterruption(signal.reason) ? signal.reason.message : (err as Error).message);
    setup.line(`error: ${error}`);
  } finally {
    // Aborted by the process guard (an unexpected error inside this run), not by a user: failed.
    if (signal.aborted && signal.reason instanceof ServeError) {
      status = "failed";
      error = mask(signal.reason.message);
      setup.line(`error: ${error}`);
    }
    await setup.close().catch(() => {});
    if (repo && worktree) await deps.sources.release(repo, worktree).catch(() => {});
    // A waiting run holds no slot and no worktree (released above): it is parked in the store.
    await store.updateRun(
      run.id,
      status === "waiting"
        ? { status, error: null, finishedAt: null, resumeFromStage: waitingAt }
        : { status, error, finishedAt: Date.now() },
    );
    bus.publish({ type: "run", runId: run.id, status });
  }
  return status;
}

/** Stage statuses that finished nothing: no finish time, no duration metric. */
const QUIET_STATUSES = new Set(["skipped", "pending", "waiting"]);

/** The daemon's stages: the local ones plus push and deploy, which need its configuration. */
function daemonStages(deps: ExecutorDeps, repo: RepositoryConfig): StageRegistry {
  const onPushed = async (ctx: RunContext, records: PushRecord[]) => {
    for (const r of records) {
      await deps.store.addAuditEvent({
        actor: deps.config.runnerId,
        action: "push",
        target: r.ref,
        detail: { run: ctx.runId, digest: r.digest ?? null },
      });
    }
  };
  const onDeployed = async (ctx: RunContext, env: string, project: string) => {
    await deps.store.addAuditEvent({
      actor: deps.config.runnerId,
      action: "deploy",
      target: env,
      detail: { run: ctx.runId, project, version: ctx.version.version },
    });
  };
  return localStages()
    .register("push", createPushHandler(deps.config.registries, onPushed))
    .register(
      "deploy",
      createDeployHandler(
        repo.name,
        {
          records: deps.deployments ?? deps.store.deployments,
          queue: deps.store.deployQueue,
          holder: deps.config.runnerId,
          approvals: deps.store.approvals,
        },
        onDeployed,
      ),
    );
}
