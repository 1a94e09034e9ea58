import { parseArgs } from "node:util";
import { EXIT_CANCELLED } from "../core/index.js";
import { collectGarbage, DockerEngine } from "../engine/index.js";
import { BUILD_ID } from "./build-id.js";
import type { CliIo } from "./cli-io.js";
import { runLocal } from "./local-run.js";
import { formatStageTable } from "./report.js";
import { defaultDataDir, defaultRunnerId } from "./settings.js";

// The verbs that drive this machine's engine without a daemon: `run`, `gc`.

/** `slipway gc [--dry-run]`: removes what runs of dead processes left behind. */
export async function gcCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({ args, options: { "dry-run": { type: "boolean" } } });
  const engine = new DockerEngine();
  await engine.ping();
  const report = await collectGarbage(engine, { dryRun: values["dry-run"] });
  for (const r of report.removed) io.out(`${values["dry-run"] ? "would remove" : "removed"} ${r.kind} ${r.name}`);
  io.out(`gc: ${report.removed.length} removed, ${report.kept} belonging to live runs kept`);
  return 0;
}

/** `slipway run`: one ref's pipeline on the local engine; exit 0, 1 or 130 (cancelled). */
export async function runCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      repo: { type: "string", default: "." },
      ref: { type: "string" },
      only: { type: "string", multiple: true },
      grace: { type: "string", default: "10" },
    },
  });
  // The engine is pinged by runLocal, beside its first git command.
  const engine = new DockerEngine();
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
      buildId: BUILD_ID,
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
    if (result.cancelled) return EXIT_CANCELLED;
    return result.ok ? 0 : 1;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}
