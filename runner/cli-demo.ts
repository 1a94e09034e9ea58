import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { CliIo } from "./cli-io.js";
import { runDemo } from "./demo/demo-run.js";
import { demoDown } from "./demo/down.js";

/** Everything the demo creates on disk lives here, so `--down` needs nothing but this path. */
export function demoRoot(env: NodeJS.ProcessEnv = process.env): string {
  return env.SLIPWAY_DEMO_DIR || join(tmpdir(), "slipway-demo");
}

/** `slipway demo [--keep-running] | --down`. */
export async function demoCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { "keep-running": { type: "boolean" }, down: { type: "boolean" } },
  });
  const root = demoRoot();
  if (values.down) {
    await demoDown(root, io.out);
    io.out("slipway demo --down: done");
    return 0;
  }
  if (existsSync(root)) {
    io.out(`a previous demo is in ${root}: removing it first`);
    await demoDown(root, io.out);
  }
  return runDemo(root, values["keep-running"] === true, io);
}
