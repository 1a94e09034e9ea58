import { parseArgs } from "node:util";
import { ConfigError, formatConfigProblem, loadConfig } from "../config/index.js";
import { collectGarbage, DockerEngine, EngineError } from "../engine/index.js";
import { formatProblem, loadPipelineFile } from "../pipelines/index.js";
import { cancelCommand, logsCommand, retryCommand, runsCommand, triggerCommand } from "./cli-remote.js";
import { runLocal } from "./local-run.js";
import { formatStageTable } from "./report.js";
import { startDaemon } from "./serve/daemon.js";
import { defaultDataDir, defaultRunnerId } from "./settings.js";

const USAGE = `usage: slipway <command> [options]

commands:
  run [--repo DIR] [--ref REF] [--only STAGE...]   run a ref's pipeline on the local Docker engine
  validate [FILE]                                  check a pipeline file (default ./slipway.yml)
  gc [--dry-run]                                   remove containers, networks and volumes of dead runs
  serve [--config FILE]                            the daemon: follows repositories, queue, API on :8080

client commands (talk to a daemon at $SLIPWAY_URL with $SLIPWAY_TOKEN):
  trigger REPO REF        runs [--repo R] [--status S]        logs RUN [--follow]
  cancel RUN              retry RUN [--from STAGE|failed]

environment: SLIPWAY_DATA_DIR (run numbers, artifacts), SLIPWAY_RUNNER_ID (owner label), DOCKER_HOST`;

type Out = { out(line: string): void; err(line: string): void };
const stdio: Out = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/** Entry point of the `slipway` binary; returns the process exit code. */
export async function main(argv: string[], io: Out = stdio): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case "run":
        return await runCommand(rest, io);
      case "validate":
        return await validateCommand(rest, io);
      case "gc":
        return await gcCommand(rest, io);
      case "serve":
        return await serveCommand(rest, io);
      case "trigger":
        return await triggerCommand(rest, io);
      case "runs":
        return await runsCommand(rest, io);
      case "logs":
        return await logsCommand(rest, io);
      case "cancel":
        return await cancelCommand(rest, io);
      case "retry":
        return await retryCommand(rest, io);
      case undefined:
      case "help":
      case "--help":
      case "-h":
        io.out(USAGE);
        return command === undefined ? 2 : 0;
      default:
        io.err(`slipway: unknown command "${command}"\n${USAGE}`);
        return 2;
    }
  } catch (err) {
    const e = err as Error & { code?: string };
    io.err(`slipway: ${e.code ? `${e.code}: ` : ""}${e.message}`);
    return e instanceof EngineError || e.code ? 1 : 2;
  }
}

async function serveCommand(args: string[], io: Out): Promise<number> {
  const { values } = parseArgs({ args, options: { config: { type: "string" } } });
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig({ file: values.config, env: process.env, cwd: process.cwd() });
  } catch (err) {
    if (err instanceof ConfigError) {
      for (const p of err.problems) io.err(formatConfigProblem(p));
      io.err(`slipway serve: ${err.code}: ${err.problems.length} problem(s) in the configuration`);
      return 1;
    }
    throw err;
  }
  const daemon = await startDaemon(config, { log: io.out });
  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      io.out(`${signal}: stopping (cancelling running runs, cleaning up)...`);
      resolve();
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  await daemon.close();
  return 0;
}

async function validateCommand(args: string[], io: Out): Promise<number> {
  const { positionals } = parseArgs({ args, allowPositionals: true, options: {} });
  const file = positionals[0] ?? "slipway.yml";
  const result = await loadPipelineFile(file);
  for (const p of result.problems) (p.severity === "error" ? io.err : io.out)(formatProblem(p));
  if (result.ok) io.out(`${file}: ok (${result.pipeline.stages.length} stages)`);
  return result.ok ? 0 : 1;
}

async function gcCommand(args: string[], io: Out): Promise<number> {
  const { values } = parseArgs({ args, options: { "dry-run": { type: "boolean" } } });
  const engine = new DockerEngine();
  await engine.ping();
  const report = await collectGarbage(engine, { dryRun: values["dry-run"] });
  for (const r of report.removed) io.out(`${values["dry-run"] ? "would remove" : "removed"} ${r.kind} ${r.name}`);
  io.out(`gc: ${report.removed.length} removed, ${report.kept} belonging to live runs kept`);
  return 0;
}

async function runCommand(args: string[], io: Out): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      repo: { type: "string", default: "." },
      ref: { type: "string" },
      only: { type: "string", multiple: true },
      grace: { type: "string", default: "10" },
    },
  });
  const engine = new DockerEngine();
  await engine.ping();
  const controller = new AbortController();
  let signals = 0;
  const onSignal = (name: NodeJS.Signals) => {
    signals++;
    io.err(
      signals === 1 ? `\n${name}: cancelling (stopping containers, cleaning up)...` : `${name}: still cleaning up`,
    );
    controller.abort(new Error(`cancelled by ${name}`));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    const only = values.only?.flatMap((s) => s.split(",")).filter(Boolean);
    const result = await runLocal({
      engine,
      repo: values.repo,
      ref: values.ref,
      only,
      dataDir: defaultDataDir(),
      owner: defaultRunnerId(),
      graceSeconds: Number(values.grace),
      signal: controller.signal,
      log: io.out,
    });
    if (result.stages.length > 0) {
      io.out("");
      for (const line of formatStageTable(result.stages)) io.out(line);
    }
    const verdict = result.cancelled ? "cancelled" : result.ok ? "succeeded" : "failed";
    io.out(`\nrun ${result.runId} ${verdict}${result.version ? ` (version ${result.version})` : ""}`);
    if (result.cancelled) return 130;
    return result.ok ? 0 : 1;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}
