import { resolve } from "node:path";
import {
  type ContainmentErrorCode,
  containPath,
  type Engine,
  isContainmentError,
  slipwayLabels,
} from "../engine/index.js";
import type { ComposeRun, ComposeStage } from "../pipelines/index.js";
import { type ComposeCli, detectCompose } from "./cli.js";
import { stackProjectName } from "./cli-args.js";
import { checkComposePolicy } from "./compose-policy.js";
import { ComposeError, type ComposeErrorCode, isComposeError } from "./errors.js";
import type { JUnitSummary } from "./junit.js";
import { summariseJUnit } from "./junit.js";
import { collectJUnit } from "./junit-collect.js";
import { buildOverride } from "./override.js";
import { parseWaitChecks } from "./probes.js";
import { runShard, type ShardResult } from "./shard.js";
import { readComposeSource } from "./stack.js";

/** What the runner hands the integration (compose) stage. */
export interface IntegrationStageOptions {
  engine: Engine;
  stage: ComposeStage;
  runId: string;
  owner: string;
  /** Host checkout of the repo (compose file path is relative to it). */
  workspaceDir: string;
  /**
   * Whether the repository is trusted (docs/security.md). Untrusted (the default) stacks may
   * bind-mount only the checkout and get no privileged mode, host namespaces or devices.
   */
  trusted?: boolean;
  /** The run's source as a Docker volume, and where test containers mount it. */
  workspace: { volume: string; mountPath: string };
  /** `IMAGE` + `SLIPWAY_*` variables: the environment of the compose processes. */
  env: Record<string, string>;
  /** Image reference of a pipeline builder, for `run: {builder, commands}`. */
  resolveBuilderImage(name: string): Promise<string>;
  /** Where JUnit files are copied. */
  artifactsDir: string;
  log(line: string): void;
  /** Cancels the stage (the runner maps SIGINT/SIGTERM onto it); stacks are torn down. */
  signal?: AbortSignal;
  /** Small image with `sh`, `nc` and `wget` for wait checks and copying reports (default `busybox:latest`). */
  utilityImage?: string;
  /** Compose CLI to use; detected (v2 first, then v1) when omitted. */
  cli?: ComposeCli;
}

/** Outcome of the stage; `ok` is false when any shard failed. */
export interface IntegrationStageResult {
  ok: boolean;
  shards: { index: number; ok: boolean; exitCode: number; project: string; error?: string; code?: ComposeErrorCode }[];
  junit?: JUnitSummary;
  error?: string;
  /** Code of the failure: the stage's own (timeout, cancel, config, containment) or the first failing shard's. */
  code?: ComposeErrorCode | ContainmentErrorCode;
}

/**
 * Runs an integration stage: N isolated copies of the compose stack at once (`parallel`, or one
 * per `shards` entry), each brought up, waited for, tested and torn down; then the JUnit
 * reports are collected once. Never throws for a failing stage: the result says why.
 */
export async function runIntegrationStage(opts: IntegrationStageOptions): Promise<IntegrationStageResult> {
  const { stage } = opts;
  const started = new Date();
  const controller = new AbortController();
  const onCancel = () =>
    controller.abort(
      new ComposeError("SLIPWAY_E_COMPOSE_CANCELLED", `stage ${stage.name} was cancelled; its stacks were torn down`),
    );
  if (opts.signal?.aborted) onCancel();
  opts.signal?.addEventListener("abort", onCancel, { once: true });
  const timer =
    stage.timeoutSeconds !== undefined
      ? setTimeout(
          () =>
            controller.abort(
              new ComposeError(
                "SLIPWAY_E_COMPOSE_TIMEOUT",
                `stage ${stage.name} exceeded its timeout of ${stage.timeoutSeconds}s; its stacks were torn down`,
              ),
            ),
          stage.timeoutSeconds * 1000,
        )
      : undefined;
  try {
    // The compose file and every path it names must resolve inside the checkout before
    // compose (or Slipway) reads anything: containment errors name repository paths only.
    const file = await containPath({ root: opts.workspaceDir, path: stage.file, what: "compose file", kind: "file" });
    const runs = shardRuns(stage);
    await validate(file, stage, runs, stackProjectName(opts.runId, stage.name, 0));
    await checkComposePolicy({ checkout: opts.workspaceDir, file, trusted: opts.trusted ?? false });
    const cli = opts.cli ?? (await detectCompose());
    opts.log(`${runs.length} stack(s) of ${stage.file} with compose ${cli.flavor} ${cli.version}`);
    const env = { ...opts.env, ...stage.env };
    const shards: ShardResult[] = await Promise.all(
      runs.map((run, index) => {
        const project = stackProjectName(opts.runId, stage.name, index);
        return runShard({
          engine: opts.engine,
          cli,
          stage,
          run,
          index,
          count: runs.length,
          project,
          file,
          runId: opts.runId,
          owner: opts.owner,
          workspace: opts.workspace,
          env: { ...env, SLIPWAY_SHARD: String(index), SLIPWAY_SHARDS: String(runs.length), SLIPWAY_PROJECT: project },
          resolveBuilderImage: opts.resolveBuilderImage,
          utilityImage: opts.utilityImage ?? "busybox:latest",
          log: (line) => opts.log(`[shard ${index}] ${line}`),
          signal: controller.signal,
        });
      }),
    );
    const result: IntegrationStageResult = { ok: shards.every((s) => s.ok), shards };
    if (!controller.signal.aborted && stage.junit.length > 0) result.junit = await junit(opts, started);
    const stageError = controller.signal.aborted ? controller.signal.reason : undefined;
    const firstFailed = shards.find((s) => !s.ok);
    if (isComposeError(stageError)) {
      result.ok = false;
      result.code = stageError.code;
      result.error = stageError.message;
    } else if (firstFailed) {
      result.code = firstFailed.code;
      result.error = shards
        .filter((s) => !s.ok)
        .map((s) => `shard ${s.index}: ${s.error ?? "failed"}`)
        .join("\n");
    }
    opts.log(`stage ${result.ok ? "passed" : "failed"} in ${((Date.now() - started.getTime()) / 1000).toFixed(1)}s`);
    return result;
  } catch (err) {
    const failure =
      controller.signal.aborted && isComposeError(controller.signal.reason) ? controller.signal.reason : err;
    const code = isComposeError(failure) || isContainmentError(failure) ? failure.code : "SLIPWAY_E_COMPOSE_UP";
    const message = failure instanceof Error ? failure.message : String(failure);
    opts.log(`stage failed: ${code}: ${message}`);
    return { ok: false, shards: [], error: message, code };
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener("abort", onCancel);
  }
}

/** One run spec per stack: `shards:` as given, else `run:` repeated `parallel` times. */
export function shardRuns(stage: ComposeStage): ComposeRun[] {
  if (stage.shards && stage.shards.length > 0) return stage.shards;
  if (!stage.run) {
    throw new ComposeError(
      "SLIPWAY_E_COMPOSE_CONFIG",
      `stage ${stage.name}: a compose stage needs \`run:\` or \`shards:\``,
    );
  }
  const run = stage.run;
  return Array.from({ length: Math.max(1, Math.floor(stage.parallel || 1)) }, () => run);
}

/** Checks the compose file and the stage once, before any stack exists, so N shards don't report the same mistake N times. */
async function validate(file: string, stage: ComposeStage, runs: ComposeRun[], project: string): Promise<void> {
  const source = await readComposeSource(file, stage.file);
  const spec = buildOverride({ file: stage.file, source, projectDirectory: resolve(file, ".."), project, labels: {} });
  for (const run of runs) {
    if ("service" in run && !spec.services.includes(run.service)) {
      throw new ComposeError(
        "SLIPWAY_E_COMPOSE_CONFIG",
        `stage ${stage.name}: run.service "${run.service}" is not a service of ${stage.file} (services: ${spec.services.join(", ")})`,
        { service: run.service },
      );
    }
  }
  parseWaitChecks(stage.wait.tcp, stage.wait.http, spec.services);
}

async function junit(opts: IntegrationStageOptions, since: Date): Promise<IntegrationStageResult["junit"]> {
  try {
    const collected = await collectJUnit({
      engine: opts.engine,
      volume: opts.workspace.volume,
      mountPath: opts.workspace.mountPath,
      patterns: opts.stage.junit,
      artifactsDir: opts.artifactsDir,
      image: opts.utilityImage ?? "busybox:latest",
      labels: slipwayLabels({ owner: opts.owner, runId: opts.runId, role: "test-stack", stage: opts.stage.name }),
      since,
      signal: opts.signal,
    });
    for (const problem of collected.problems) opts.log(`junit: SLIPWAY_E_COMPOSE_JUNIT ${problem}`);
    if (collected.files.length === 0) opts.log(`junit: no file matched ${opts.stage.junit.join(", ")}`);
    const summary = summariseJUnit(collected.counts, collected.files);
    opts.log(
      `junit: ${summary.tests} tests, ${summary.passed} passed, ${summary.failed} failed, ${summary.errors} errors, ${summary.skipped} skipped (${summary.files.length} files)`,
    );
    return summary;
  } catch (err) {
    opts.log(`junit: could not collect reports: ${(err as Error).message}`);
    return undefined;
  }
}
