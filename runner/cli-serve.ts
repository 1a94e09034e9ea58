import { parseArgs } from "node:util";
import { ConfigError, formatConfigProblem, loadConfig, persistentRunnerId } from "../config/index.js";
import type { CliIo } from "./cli-io.js";
import { startDaemon } from "./serve/daemon.js";

/** `slipway serve`: loads the configuration, starts the daemon and runs until a signal. */
export async function serveCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({ args, options: { config: { type: "string" } } });
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig({
      file: values.config,
      env: process.env,
      cwd: process.cwd(),
      defaultRunnerId: (dataDir) => persistentRunnerId(dataDir),
    });
  } catch (err) {
    if (err instanceof ConfigError) {
      for (const p of err.problems) io.err(formatConfigProblem(p));
      io.err(`slipway serve: ${err.code}: ${err.problems.length} problem(s) in the configuration`);
      return err.exitCode;
    }
    throw err;
  }
  const daemon = await startDaemon(config, { log: io.out });
  // First SIGTERM/SIGINT: stop claiming, let running runs go on for `shutdown_grace`, then
  // cancel them with cleanup. A second signal cuts the grace short (cleanup still runs).
  const hurry = new AbortController();
  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      if (!hurry.signal.aborted && stopping) {
        io.out(`${signal} again: cancelling running runs now (cleaning up)...`);
        hurry.abort();
        return;
      }
      stopping = true;
      io.out(`${signal}: stopping; running runs get up to ${config.shutdownGraceSeconds}s to finish...`);
      resolve();
    };
    let stopping = false;
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
  await daemon.close({ graceSeconds: config.shutdownGraceSeconds, hurry: hurry.signal });
  io.out("slipway serve: stopped");
  return 0;
}
