import { randomBytes } from "node:crypto";
import { realpath, rm } from "node:fs/promises";
import { basename, join, relative } from "node:path";
import { simpleGit } from "simple-git";
import {
  checkoutWorkspace,
  collectGarbage,
  currentBranch,
  type Engine,
  originUrl,
  resolveRef,
} from "../engine/index.js";
import { formatProblem, loadPipelineFile, sanitizeTag } from "../pipelines/index.js";
import { executePipeline, planRun } from "./pipeline-executor.js";
import type { StageResult } from "./report.js";
import { nextRunNumber } from "./run-number.js";

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
      source: (await originUrl(top)) ?? top,
      artifactsDir: join(opts.dataDir, "runs", runId, "artifacts"),
      // `slipway run` runs the user's own repository on the user's own engine: trusted, as
      // running `docker compose up` there by hand would be (docs/security.md).
      trusted: true,
      only: opts.only,
      graceSeconds: opts.graceSeconds,
      signal: opts.signal,
      log: opts.log,
    });
    return { ...result, ok: run.ok, cancelled: run.cancelled, stages: run.stages };
  } finally {
    await rm(checkoutDir, { recursive: true, force: true });
  }
}
