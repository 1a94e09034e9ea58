import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { deepFreeze } from "../core/index.js";
import { type ParseResult, parsePipeline } from "../pipelines/index.js";

/**
 * `parsePipeline`, remembering a repository's last valid parse in its state directory, keyed
 * by the build of Slipway, the file's name and its text: `slipway run` of an unchanged
 * pipeline file then loads no YAML library and runs no validation (~25 ms of its start-up,
 * all of it before the first container starts). Anything else parses: another text, another
 * build, a file that cannot be read or does not hold this key. Only a result that comes back
 * from JSON exactly as it was made (`isDeepStrictEqual`) is kept, so a hit is the very
 * result a parse would give; a pipeline with problems that are errors is never kept (they are
 * reported afresh each time). The cache is only a shortcut: failing to write it is not an error.
 */
export function parsePipelineCached(opts: { dir: string; buildId: string; file: string; text: string }): ParseResult {
  const key = createHash("sha256").update(`${opts.buildId}\0${opts.file}\0${opts.text}`).digest("hex");
  const path = join(opts.dir, "pipeline.json");
  const hit = readEntry(path, key);
  if (hit) return hit;
  const result = parsePipeline(opts.text, opts.file);
  if (result.ok) {
    const json = JSON.stringify({ key, result });
    if (isDeepStrictEqual((JSON.parse(json) as { result: unknown }).result, result)) {
      try {
        mkdirSync(opts.dir, { recursive: true });
        // Through a rename: two runs at once each write whole files, and a reader never sees half of one.
        const tmp = `${path}.${process.pid}.tmp`;
        writeFileSync(tmp, json);
        renameSync(tmp, path);
      } catch {
        // A read-only or full data directory: the next run parses again.
      }
    }
  }
  return result;
}

function readEntry(path: string, key: string): ParseResult | undefined {
  let entry: { key?: unknown; result?: ParseResult };
  try {
    entry = JSON.parse(readFileSync(path, "utf8"));
  } catch {
    return undefined;
  }
  const result = entry?.key === key ? entry.result : undefined;
  if (result?.ok !== true || typeof result.pipeline !== "object" || !Array.isArray(result.problems)) return undefined;
  return { ok: true, pipeline: deepFreeze(result.pipeline), problems: result.problems };
}
