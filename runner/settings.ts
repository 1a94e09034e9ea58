import { homedir, hostname } from "node:os";
import { join } from "node:path";

/** Where local runs keep run numbers, artifacts and temporary workspaces. */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SLIPWAY_DATA_DIR) return env.SLIPWAY_DATA_DIR;
  const base = env.XDG_DATA_HOME || join(homedir(), ".local", "share");
  return join(base, "slipway");
}

/** `io.slipway.owner` of what this process creates: `$SLIPWAY_RUNNER_ID`, else `local@<host>`. */
export function defaultRunnerId(env: NodeJS.ProcessEnv = process.env): string {
  return env.SLIPWAY_RUNNER_ID || `local@${hostname()}`;
}
