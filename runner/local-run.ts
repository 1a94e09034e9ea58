import { randomBytes } from "node:crypto";
import { realpathSync, rmSync } from "node:fs";
import { basename, join, relative } from "node:path";
import { describeError, preloadYaml } from "../core/index.js";
import { checkoutWorkspace, collectGarbage, type Engine, inspectRepo, originUrl } from "../engine/index.js";
import { formatProblem, loadPipelineFile, parsePipeline, sanitizeTag } from "../pipelines/index.js";
import { parsePipelineCached } from "./pipeline-cache.js";
import type { StageResult } from "./report.js";
import { nextRunNumber, repoStateDir } from "./run-number.js";

export interface LocalRunOptions {
  engine: Engine;
  /** Directory of the pipeline (slipway.yml) inside a git repository; may be a subdirectory. */
  repo: string;
  /** Branch, tag or sha; default: the repository's current branch (or HEAD). */
  ref?: string;
  /** Run only these stages (by name); the others are reported as skipped. */
  only?: string[];
  dataDir: string;
  /**
   * The running build (runner/build-id.ts): when set, the pipeline file's last valid parse is
   * kept under `dataDir` and reused while its text and the build are the same.
   */
  buildId?: string;
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
  const repoDir = realpathSync(opts.repo);
  // One round of git, run at once and in one process (`inspectRepo`): the working tree
  // (`rev-parse`) and the commit with the pipeline file read from it (`cat-file`, so it is
  // parsed before the checkout is made), while the engine answers its ping (which loads the
  // engine's client on this thread).
  const gitRound = inspectRepo(repoDir, opts.ref ?? "HEAD", { readFile: "slipway.yml" });
  const ping = opts.engine.ping();
  // Orphans of runs killed earlier (kill -9, power loss) are reaped while this run starts,
  // once the engine has answered: the ping goes out before the engine's client is made, which
  // happens while the daemon answers (DockerEngine.ping), and listing at once would make it
  // before the ping is sent. gc never touches a live run's resources, and this run's carry its
  // own live owner. Reaping is not the run's work: its failure is told, and the run goes on.
  const reaping = ping.then(() =>
    collectGarbage(opts.engine).then(
      (reaped) => {
        if (reaped.removed.length > 0) opts.log(`gc: removed ${reaped.removed.length} resource(s) of dead runs`);
      },
      (err: unknown) => opts.log(`gc: reaping dead runs' resources failed: ${describeError(err)}`),
    ),
  );
  // The executor's module graph (builders, stage handlers) loads while git answers.
  const executor = import("./pipeline-executor.js");
  // The run number is taken once git knows the repository and the engine answers (a run refused
  // before that takes none).
  const numbering = Promise.all([gitRound, ping]).then(() => nextRunNumber(opts.dataDir, repoDir));
  // The pipeline parser's yaml library (a few ms of CPU) is made ready while git and the
  // engine answer, unless an unchanged file's parse is likely to be at hand.
  if (opts.buildId === undefined) preloadYaml();
  // Parsed as soon as git has read it, while the engine answers (a pipeline file that is not
  // a regular file in the commit is read from the checkout below).
  const parsing = gitRound.then(({ tree, found }) => {
    if (found.file === undefined) return undefined;
    const file = join(relative(tree.top, repoDir), "slipway.yml");
    if (opts.buildId === undefined) return parsePipeline(found.file, file);
    const dir = repoStateDir(opts.dataDir, repoDir);
    return parsePipelineCached({ dir, buildId: opts.buildId, file, text: found.file });
  });
  // Awaited next (the executor and the reaping: below; a run refused before that never needs them).
  for (const started of [gitRound, parsing, numbering, ping, executor, reaping]) started.catch(() => {});
  // Awaited in the order failures are reported: an engine that is down, then git's answers.
  await ping;
  const { tree, found } = await gitRound;
  const top = tree.top;
  const subdir = relative(top, repoDir);
  // No --ref: the current branch (its commit is HEAD's), or the detached commit.
  const resolved =
    opts.ref === undefined && tree.branch ? { ref: `refs/heads/${tree.branch}`, sha: found.sha, isTag: false } : found;
  const committed = await parsing;
  const runNumber = await numbering;
  const runId = `${sanitizeTag(basename(repoDir))}-${runNumber}-${randomBytes(3).toString("hex")}`;
  const result: LocalRunResult = { runId, runNumber, ok: false, cancelled: false, tags: [], stages: [], errors: [] };
  const checkoutDir = join(opts.dataDir, "workspaces", runId);
  const workspaceDir = join(checkoutDir, subdir);

  // The checkout is made when something first reads it (the executor's `workspaceReady`): for
  // a build step on a plain image that is its workspace copy, made while its container starts,
  // so the clone and checkout come after the start request instead of before it.
  let checkingOut: Promise<void> | undefined;
  const checkout = () => {
    checkingOut ??= checkoutWorkspace(top, resolved.sha, checkoutDir);
    return checkingOut;
  };
  try {
    opts.log(`run ${runId}: ${resolved.ref} @ ${resolved.sha.slice(0, 12)}`);
    // Anything but a regular file (a symbolic link, none at all) is read from the checkout.
    const parsed =
      committed !== undefined
        ? committed
        : await checkout().then(() => loadPipelineFile(join(workspaceDir, "slipway.yml")));
    if (!parsed.ok) {
      for (const p of parsed.problems) result.errors.push(formatProblem({ ...p, file: join(subdir, "slipway.yml") }));
      for (const e of result.errors) opts.log(e);
      return result;
    }
    const pipeline = parsed.pipeline;
    const { executePipeline, planRun } = await executor;
    const { refInfo, version, planned } = planRun(pipeline, resolved, runNumber);
    result.version = version.version;
    result.tags = version.tags;
    opts.log(`${refInfo.name} is a ${refInfo.kind} ref: version ${version.version}, tags ${version.tags.join(", ")}`);
    const unknown = (opts.only ?? []).filter((n) => !planned.some((p) => p.stage.name === n));
    if (unknown.length > 0) {
      const names = planned.map((p) => p.stage.name).join(", ");
      result.errors.push(`--only names unknown stage(s) ${unknown.join(", ")}; stages: ${names}`);
      opts.log(result.errors[0] ?? "");
      return result;
    }
    const run = await executePipeline({
      engine: opts.engine,
      runId,
      runNumber,
      owner: opts.owner,
      pipeline,
      workspaceDir,
      ref: resolved,
      // Only a package stage reads it: git is asked then, not before the first step starts.
      source: async () => (await originUrl(top)) ?? top,
      artifactsDir: join(opts.dataDir, "runs", runId, "artifacts"),
      // `slipway run` runs the user's own repository on the user's own engine: trusted, as
      // running `docker compose up` there by hand would be (docs/security.md).
      trusted: true,
      workspaceReady: checkout,
      only: opts.only,
      graceSeconds: opts.graceSeconds,
      signal: opts.signal,
      log: opts.log,
    });
    // A checkout that failed failed the run's first stage; the run reports git's error, as
    // it did when the checkout came before everything.
    await checkingOut;
    return { ...result, ok: run.ok, cancelled: run.cancelled, stages: run.stages };
  } finally {
    await reaping.catch(() => {});
    await checkingOut?.catch(() => {});
    rmSync(checkoutDir, { recursive: true, force: true });
  }
}
