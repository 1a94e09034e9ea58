import { readFile } from "node:fs/promises";
import { deepFreeze, isMap, YamlSource } from "../core/index.js";
import { readEnvironments } from "./environments.js";
import { PIPELINE_LIMITS } from "./limits.js";
import { didYouMean, hasErrors, makeProblem, sortProblems } from "./problems.js";
import { Checker, MapView, readList, readString, type Slot } from "./schema.js";
import { readBuilders, readFlow } from "./sections.js";
import type { Reference } from "./stage-body.js";
import { readStage } from "./stages.js";
import type { ParseResult, Pipeline, Problem, Stage } from "./types.js";

const ROOT_KEYS = ["name", "image", "flow", "builders", "stages", "environments"] as const;

/**
 * Parses and validates the text of a pipeline file. Never throws: every problem, positioned
 * at its node, is in `problems`, and `ok` is true only when none of them is an error. The
 * returned pipeline is deep-frozen, as it is the validated configuration of a run.
 */
export function parsePipeline(text: string, file: string): ParseResult {
  const size = Buffer.byteLength(text);
  if (size > PIPELINE_LIMITS.bytes) {
    // Refused before parsing: a YAML parser's time and memory grow with the file.
    const problem: Problem = {
      file,
      line: 1,
      column: 1,
      path: "",
      code: "SLIPWAY_E_PIPELINE_TOO_LARGE",
      message: `the pipeline file is ${size} bytes; the most is ${PIPELINE_LIMITS.bytes} (1 MiB)`,
      severity: "error",
    };
    return { ok: false, problems: [problem] };
  }
  const source = new YamlSource(text);
  const c = new Checker(file, source);
  for (const issue of source.issues) {
    const code = issue.kind === "duplicate-key" ? "SLIPWAY_E_PIPELINE_DUPLICATE_KEY" : "SLIPWAY_E_PIPELINE_SYNTAX";
    const at = { line: issue.line, column: issue.column };
    c.report(at, "", code, issue.message, issue.kind === "warning" ? "warning" : "error");
  }
  // After a real syntax error the tree is a guess; validating it would bury the cause in noise.
  if (source.broken) return { ok: false, problems: sortProblems(c.problems) };

  if (source.doc.contents === null) {
    c.report(
      { line: 1, column: 1 },
      "",
      "SLIPWAY_E_PIPELINE_EMPTY",
      "the pipeline file is empty; it needs at least name and stages",
    );
    return { ok: false, problems: c.problems };
  }
  const root = source.root;
  if (!isMap(root)) {
    const slot: Slot = { value: root, path: "" };
    c.report(
      c.slotPosition(slot),
      "",
      "SLIPWAY_E_PIPELINE_NOT_A_MAP",
      "the pipeline must be a map of keys (name, stages, ...), not a list or a single value",
    );
    return { ok: false, problems: c.problems };
  }

  const pipeline = readRoot(c, new MapView(c, root, ""));
  const problems = sortProblems(c.problems);
  if (pipeline === undefined || hasErrors(problems)) return { ok: false, problems };
  return { ok: true, pipeline: deepFreeze(pipeline), problems };
}

function readRoot(c: Checker, map: MapView): Pipeline | undefined {
  map.allowOnly(ROOT_KEYS);
  const nameSlot = map.require("name");
  const name = nameSlot && readString(c, nameSlot, { nonEmpty: true });
  const imageSlot = map.get("image");
  const image = imageSlot && readString(c, imageSlot, { nonEmpty: true });
  const flow = readFlow(c, map.get("flow"));
  const { builders, declared: builderNames } = readBuilders(c, map.get("builders"));
  const { environments, declared: environmentNames } = readEnvironments(c, map.get("environments"));

  const refs: Reference[] = [];
  const stages: Stage[] = [];
  let stagesOk = true;
  const stagesSlot = map.require("stages");
  const items = stagesSlot && readList(c, stagesSlot);
  if (stagesSlot && items?.length === 0) {
    c.report(
      c.slotPosition(stagesSlot),
      stagesSlot.path,
      "SLIPWAY_E_PIPELINE_BAD_VALUE",
      "stages must list at least one stage",
    );
  }
  if (stagesSlot && items && items.length > PIPELINE_LIMITS.stages) {
    c.report(
      c.slotPosition(stagesSlot),
      stagesSlot.path,
      "SLIPWAY_E_PIPELINE_TOO_MANY",
      `stages lists ${items.length} stages; the most is ${PIPELINE_LIMITS.stages}`,
    );
    stagesOk = false;
  }
  const seen = new Set<string>();
  for (const item of items ?? []) {
    const { stage, name: stageName, nameSlot } = readStage(c, item, refs);
    if (stageName !== undefined && nameSlot && seen.has(stageName)) {
      const msg = `duplicate stage name "${stageName}"; stage names must be unique`;
      c.report(c.slotPosition(nameSlot), nameSlot.path, "SLIPWAY_E_PIPELINE_DUPLICATE_STAGE", msg);
      stagesOk = false;
    }
    if (stageName !== undefined) seen.add(stageName);
    if (stage) stages.push(stage);
    else stagesOk = false;
  }

  // A package stage builds `image` and a push stage pushes it, so neither makes sense without it.
  const needsImage = stages.find((s) => s.type === "package" || s.type === "push");
  if (needsImage && imageSlot === undefined) {
    const msg = `missing required key "image" in the pipeline root (stage "${needsImage.name}" is a ${needsImage.type} stage)`;
    c.report(map.position, "image", "SLIPWAY_E_PIPELINE_REQUIRED", msg);
  }
  checkReferences(c, refs, builderNames, environmentNames);

  if (name === undefined || !items?.length || !stagesOk || (imageSlot && image === undefined)) return undefined;
  return { name, ...(image ? { image } : {}), flow, builders, stages, environments };
}

function checkReferences(c: Checker, refs: Reference[], builders: Set<string>, environments: Set<string>): void {
  for (const ref of refs) {
    const names = ref.kind === "builder" ? builders : environments;
    if (names.has(ref.name)) continue;
    const section = ref.kind === "builder" ? "builders" : "environments";
    const code =
      ref.kind === "builder" ? "SLIPWAY_E_PIPELINE_UNKNOWN_BUILDER" : "SLIPWAY_E_PIPELINE_UNKNOWN_ENVIRONMENT";
    const defined = names.size ? `defined: ${[...names].join(", ")}` : `no ${section} are defined`;
    const msg = `unknown ${ref.kind} "${ref.name}" in ${ref.slot.path}${didYouMean(ref.name, names)}; ${defined}`;
    c.report(c.slotPosition(ref.slot), ref.slot.path, code, msg);
  }
}

/** Reads and parses a pipeline file; a missing or unreadable file is a NOT_FOUND problem. */
export async function loadPipelineFile(path: string): Promise<ParseResult> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (cause) {
    const reason =
      (cause as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : String((cause as Error).message);
    const problem: Problem = makeProblem({
      file: path,
      line: 1,
      column: 1,
      path: "",
      code: "SLIPWAY_E_PIPELINE_NOT_FOUND",
      message: `cannot read pipeline file: ${reason}`,
    });
    return { ok: false, problems: [problem] };
  }
  return parsePipeline(text, path);
}
