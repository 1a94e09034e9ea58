import { parseArgs } from "node:util";
import { formatProblem, loadPipelineFile } from "../pipelines/index.js";
import type { CliIo } from "./cli-io.js";

/** `slipway validate [FILE]`: prints problems like a compiler; exit 1 on any error. */
export async function validateCommand(args: string[], io: CliIo): Promise<number> {
  const { positionals } = parseArgs({ args, allowPositionals: true, options: {} });
  const file = positionals[0] ?? "slipway.yml";
  const result = await loadPipelineFile(file);
  for (const p of result.problems) (p.severity === "error" ? io.err : io.out)(formatProblem(p));
  if (result.ok) io.out(`${file}: ok (${result.pipeline.stages.length} stages)`);
  return result.ok ? 0 : 1;
}
