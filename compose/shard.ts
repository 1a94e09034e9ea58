import type { Engine } from "../engine/index.js";
import type { ComposeRun, ComposeStage } from "../pipelines/index.js";
import { abortable, throwIfAborted } from "./abort.js";
import type { ComposeCli } from "./cli.js";
import { type ComposeErrorCode, isComposeError } from "./errors.js";
import { parseWaitChecks, runProbes, type WaitCheck } from "./probes.js";
import { waitForServices } from "./readiness.js";
import { EphemeralStack } from "./stack.js";

/** Everything one shard needs; built by `runIntegrationStage`. */
export interface ShardOptions {
  engine: Engine;
  cli: ComposeCli;
  stage: ComposeStage;
  run: ComposeRun;
  index: number;
  count: number;
  project: string;
  file: string;
  runId: string;
  owner: string;
  workspace: { volume: string; mountPath: string };
  /** Environment of the compose processes and the test container. */
  env: Record<string, string>;
  resolveBuilderImage(name: string): Promise<string>;
  utilityImage: string;
  /** Already prefixed with `[shard N]`. */
  log(line: string): void;
  signal: AbortSignal;
}

/** How one shard ended. */
export interface ShardResult {
  index: number;
  ok: boolean;
  /** Exit code of the test command; -1 when the tests never ran. */
  exitCode: number;
  project: string;
  error?: string;
  code?: ComposeErrorCode;
}

/** Lines of each service's log added to the stage log when a shard fails. */
const FAILURE_LOG_LINES = 50;

/**
 * One isolated stack: up, ready, tests, down. `down` runs whatever happened (`await using`),
 * and a failure adds every service's last lines to the log before the stack disappears.
 */
export async function runShard(opts: ShardOptions): Promise<ShardResult> {
  const { log, signal } = opts;
  const result: ShardResult = { index: opts.index, ok: false, exitCode: -1, project: opts.project };
  const started = Date.now();
  let stack: EphemeralStack | undefined;
  try {
    stack = await EphemeralStack.create({
      engine: opts.engine,
      cli: opts.cli,
      file: opts.file,
      project: opts.project,
      owner: opts.owner,
      runId: opts.runId,
      stage: opts.stage.name,
      env: opts.env,
      log,
    });
    await using live = stack;
    try {
      result.exitCode = await upAndTest(live, opts);
      result.ok = result.exitCode === 0;
      if (!result.ok) {
        result.code = "SLIPWAY_E_COMPOSE_TESTS_FAILED";
        result.error = `tests exited with code ${result.exitCode}`;
      }
    } catch (err) {
      fail(result, err, signal);
    }
    if (!result.ok) await dumpLogs(live, log);
  } catch (err) {
    // Reached for errors of `create` and of `down` (from `await using`).
    if (result.ok || !result.code) fail(result, err, signal);
    else log(`also: ${(err as Error).message}`);
  }
  log(
    `${result.ok ? "passed" : "failed"} in ${((Date.now() - started) / 1000).toFixed(1)}s${result.error ? `: ${result.error.split("\n")[0]}` : ""}`,
  );
  return result;
}

async function upAndTest(stack: EphemeralStack, opts: ShardOptions): Promise<number> {
  const { log, signal, stage, run } = opts;
  for (const warning of stack.spec.warnings) log(`warning: ${warning}`);
  for (const p of stack.spec.ports) log(`port ${p.service}: ${JSON.stringify(p.from)} → ${p.to}`);
  const testService = "service" in run ? run.service : undefined;
  const checks = parseWaitChecks(stage.wait.tcp, stage.wait.http, stack.spec.services);
  // The test service is started by `run` (with its dependencies), not by `up`.
  const services = stack.spec.defaultServices.filter((s) => s !== testService);
  const upStarted = Date.now();
  log(`compose ${stack.cli.flavor} (${stack.cli.version}): up ${stack.project}`);
  await stack.up(services, signal);
  await abortable(
    waitForServices({
      engine: opts.engine,
      project: stack.project,
      services,
      timeoutSeconds: stage.wait.timeoutSeconds,
      signal,
      log,
      logsOf: (service) => stack.logs([service], 20),
    }),
    signal,
  );
  await probe(stack, checks, opts);
  log(`stack ready in ${((Date.now() - upStarted) / 1000).toFixed(1)}s`);
  throwIfAborted(signal);
  const env = { ...opts.env, ...stage.env, SLIPWAY_SHARD: String(opts.index), SLIPWAY_SHARDS: String(opts.count) };
  const testStarted = Date.now();
  const code =
    "service" in run
      ? await stack.runService(
          run.service,
          run.command,
          env,
          [`${opts.workspace.volume}:${opts.workspace.mountPath}`],
          (line) => log(line),
          signal,
        )
      : await runBuilder(stack, run, env, opts);
  log(`tests exited ${code} after ${((Date.now() - testStarted) / 1000).toFixed(1)}s`);
  return code;
}

/** Runs the wait checks from a probe container on the network of the service each check targets. */
async function probe(stack: EphemeralStack, checks: WaitCheck[], opts: ShardOptions): Promise<void> {
  const byNetwork = new Map<string, WaitCheck[]>();
  for (const check of checks) {
    const key = stack.spec.primaryNetwork[check.service] ?? "default";
    byNetwork.set(key, [...(byNetwork.get(key) ?? []), check]);
  }
  for (const [key, group] of byNetwork) {
    const network = await stack.networkName(key);
    await stack.trackRun(
      runProbes(group, {
        engine: opts.engine,
        image: opts.utilityImage,
        network,
        labels: stack.labels,
        timeoutSeconds: opts.stage.wait.timeoutSeconds,
        signal: opts.signal,
        log: opts.log,
      }),
      opts.signal,
    );
  }
}

/** A builder container on the stack network with the workspace mounted, running the commands under `sh -e`. */
async function runBuilder(
  stack: EphemeralStack,
  run: { builder: string; commands: string[] },
  env: Record<string, string>,
  opts: ShardOptions,
): Promise<number> {
  const image = await opts.resolveBuilderImage(run.builder);
  const used = Object.values(stack.spec.primaryNetwork);
  const network = await stack.networkName(
    used.includes("default") || used.length === 0 ? "default" : (used[0] ?? "default"),
  );
  const { engine } = opts;
  const id = await engine.createContainer({
    image,
    cmd: ["/bin/sh", "-e", "-c", run.commands.join("\n")],
    env,
    workingDir: opts.workspace.mountPath,
    binds: [`${opts.workspace.volume}:${opts.workspace.mountPath}`],
    labels: stack.labels,
    network,
    init: true,
  });
  const work = (async () => {
    try {
      // Attached before start: the container's pipe, with no line lost to a log-file race.
      const output = await engine.attachOutput(id, (line) => opts.log(line));
      await engine.startContainer(id);
      const code = await engine.waitContainer(id);
      await output.done.catch(() => {});
      return code;
    } finally {
      await engine.removeContainer(id);
    }
  })();
  return stack.trackRun(work, opts.signal);
}

function fail(result: ShardResult, err: unknown, signal: AbortSignal): void {
  // Once the stage is aborted, errors of the interrupted work are consequences, not causes.
  const cause = signal.aborted && isComposeError(signal.reason) ? signal.reason : err;
  result.ok = false;
  result.code = isComposeError(cause) ? cause.code : "SLIPWAY_E_COMPOSE_UP";
  result.error = cause instanceof Error ? cause.message : String(cause);
}

async function dumpLogs(stack: EphemeralStack, log: (line: string) => void): Promise<void> {
  try {
    const lines = await stack.logs([], FAILURE_LOG_LINES);
    log(`last ${FAILURE_LOG_LINES} log lines of each service:`);
    for (const line of lines) log(`  ${line}`);
  } catch (err) {
    log(`could not read service logs: ${(err as Error).message}`);
  }
}
