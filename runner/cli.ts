import { parseArgs } from "node:util";
import { collectGarbage, DockerEngine, EngineError } from "../engine/index.js";
import { formatProblem, loadPipelineFile } from "../pipelines/index.js";
import { runLocal } from "./local-run.js";
import { formatStageTable } from "./report.js";
import { defaultDataDir, defaultRunnerId } from "./settings.js";

const USAGE = `usage: slipway <command> [options]

commands:
  run [--repo DIR] [--ref REF] [--only STAGE...]   run a ref's pipeline on the local Docker engine
  validate [FILE]                                  check a pipeline file (default ./slipway.yml)
  gc [--dry-run]                                   remove containers, networks and volumes of dead runs

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
