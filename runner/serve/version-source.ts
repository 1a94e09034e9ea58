import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { RepositoryConfig } from "../../config/index.js";
import { DeployError, type EnvironmentTarget } from "../../deploy/index.js";
import { type Pipeline, parsePipeline } from "../../pipelines/index.js";
import type { RunRow, Store } from "../../store/index.js";
import { RunnerError } from "../errors.js";
import { planRun } from "../pipeline-executor.js";
import { runEnvironment } from "../run-context.js";
import { environmentTarget } from "./environment-target.js";
import type { SourceCache } from "./sources.js";

/** A version's environment, checked out from the commit that produced it; release() removes the checkout. */
export interface VersionCheckout {
  target: EnvironmentTarget;
  run: RunRow;
  pipeline: Pipeline;
  release(): Promise<void>;
}

/**
 * Finds what an explicit `deploy ENV VERSION` (or a confirm, or a rollback to VERSION) runs:
 * the run that computed VERSION gives the commit and the pipeline (its snapshot, as the run
 * itself used it), a worktree of that commit gives the environment's compose file, and the
 * run's own variables (`IMAGE`, `SLIPWAY_VERSION`, ...) are computed again exactly as the run
 * computed them. Nothing is touched when VERSION has no run: SLIPWAY_E_DEPLOY_VERSION_UNKNOWN.
 */
export async function checkoutVersion(
  deps: { store: Store; sources: SourceCache },
  repo: RepositoryConfig,
  environment: string,
  version: string,
): Promise<VersionCheckout> {
  const { runs } = await deps.store.listRuns({ repository: repo.name, version, limit: 50 });
  if (runs.length === 0) {
    throw new DeployError(
      "SLIPWAY_E_DEPLOY_VERSION_UNKNOWN",
      `no run of ${repo.name} produced version ${version}; nothing was changed (\`slipway runs --repo ${repo.name}\` lists the versions)`,
    );
  }
  // A successful run first: its commit is the one that was built, tested and pushed.
  const ordered = [...runs.filter((r) => r.status === "success"), ...runs.filter((r) => r.status !== "success")];
  const chosen = ordered[0] as RunRow;
  const run = (await deps.store.getRun(chosen.id)) ?? chosen;
  const worktree = await deps.sources.checkout(repo, run.sha, `env-${randomBytes(6).toString("hex")}`);
  const release = () => deps.sources.release(repo, worktree).catch(() => {});
  try {
    const text = run.pipelineSnapshot ?? (await readFile(join(worktree, "slipway.yml"), "utf8").catch(() => ""));
    const parsed = parsePipeline(text, "slipway.yml");
    if (!parsed.ok) {
      throw new RunnerError(
        "SLIPWAY_E_RUN_INVALID_PIPELINE",
        `the pipeline file of ${run.sha.slice(0, 12)} (run ${run.id}) has ${parsed.problems.length} problem(s)`,
        { details: { problems: parsed.problems } },
      );
    }
    const pipeline = parsed.pipeline;
    const env = pipeline.environments[environment];
    if (!env) {
      throw new DeployError(
        "SLIPWAY_E_DEPLOY_UNKNOWN_ENVIRONMENT",
        `the pipeline of ${repo.name} at ${run.sha.slice(0, 12)} (version ${version}) defines no environment ${environment}`,
      );
    }
    const variables = versionVariables(run, pipeline, version, runs);
    const target = await environmentTarget({
      repository: repo.name,
      pipelineName: pipeline.name,
      environment: env,
      checkout: worktree,
      trusted: repo.trusted,
      version,
      variables,
    });
    return { target, run, pipeline, release };
  } catch (err) {
    await release();
    throw err;
  }
}

/**
 * The run's variables, as the run computed them. A retry from a stage keeps the original's
 * version (its number), so the number is the one among the runs of this version that yields it.
 */
function versionVariables(run: RunRow, pipeline: Pipeline, version: string, runs: RunRow[]): Record<string, string> {
  const ref = { ref: run.ref, sha: run.sha, isTag: run.ref.startsWith("refs/tags/") };
  for (const candidate of [run, ...runs]) {
    const plan = planRun(pipeline, ref, candidate.number);
    if (plan.version.version !== version) continue;
    return runEnvironment({
      runId: run.id,
      runNumber: candidate.number,
      refInfo: plan.refInfo,
      sha: run.sha,
      version: plan.version,
      pipeline,
    });
  }
  throw new DeployError(
    "SLIPWAY_E_DEPLOY_VERSION_UNKNOWN",
    `version ${version} cannot be computed again from run ${run.id} (${run.ref} #${run.number}); nothing was changed`,
  );
}
