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
