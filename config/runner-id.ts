import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { ConfigError } from "./errors.js";
import { RUNNER_ID } from "./values.js";

/** Kept in the data dir: the runner id belongs to the state, not to the process or host. */
export const RUNNER_ID_FILE = "runner-id";

/**
 * The default runner id of `slipway serve`: the one recorded in `<dataDir>/runner-id`, else
 * `serve@<hostname>` written there on first start. A container gets a new hostname whenever
 * it is recreated (an upgrade of Slipway itself); with the id tied to the data dir, the new
 * daemon still recognises the runs and containers of its predecessor and reconciles them
 * instead of taking them for another host's. A hand-written file is validated like
 * `runner_id` in the configuration.
 */
export function persistentRunnerId(dataDir: string, host: string = hostname()): string {
  const file = join(dataDir, RUNNER_ID_FILE);
  mkdirSync(dataDir, { recursive: true });
  try {
    // "wx": of two daemons starting on one fresh data dir, one writes and both read that.
    writeFileSync(file, `serve@${host}\n`, { flag: "wx" });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  }
  const id = readFileSync(file, "utf8").trim();
  if (!RUNNER_ID.test(id)) {
    throw new ConfigError("SLIPWAY_E_CONFIG_INVALID", [
      {
        file,
        line: 1,
        column: 1,
        path: "runner_id",
        code: "SLIPWAY_E_CONFIG_BAD_VALUE",
        message: `"${id}" is not a valid runner id (letters, digits and @._:/-, at most 128); fix or delete the file`,
      },
    ]);
  }
  return id;
}
