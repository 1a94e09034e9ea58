import { readComposeStage } from "./compose-stage.js";
import { PIPELINE_LIMITS } from "./limits.js";
import { TAG_PLACEHOLDERS } from "./plan.js";
import { didYouMean } from "./problems.js";
import {
  type Checker,
  type MapView,
  readDuration,
  readMap,
  readString,
  readStringItems,
  readStringMap,
  type Slot,
} from "./schema.js";
import type { Reference, StageBody } from "./stage-body.js";
import { FLOW_KINDS, type FlowKind, type Stage } from "./types.js";

const COMMON_KEYS = ["name", "when", "timeout", "env"] as const;
/** The keys that decide what a stage does; a stage has exactly one. */
export const STAGE_KIND_KEYS = ["builder", "package", "compose", "push", "deploy"] as const;
const BUILD_ONLY_KEYS = ["commands", "artifacts"] as const;
const ALL_STAGE_KEYS: readonly string[] = [...COMMON_KEYS, ...STAGE_KIND_KEYS, ...BUILD_ONLY_KEYS];
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `when:` as one word or a list of git-flow kinds. */
export function readWhen(c: Checker, slot: Slot): FlowKind[] | undefined {
  const items = readStringItems(c, slot);
  if (items === undefined) return undefined;
  const kinds: FlowKind[] = [];
  for (const { text, slot: item } of items) {
    if ((FLOW_KINDS as readonly string[]).includes(text)) {
      if (!kinds.includes(text as FlowKind)) kinds.push(text as FlowKind);
      continue;
    }
    c.report(
      c.slotPosition(item),
      item.path,
      "SLIPWAY_E_PIPELINE_UNKNOWN_WHEN",
      `unknown when "${text}"; expected one of ${FLOW_KINDS.join(", ")}${didYouMean(text, FLOW_KINDS)}`,
    );
  }
  return kinds;
}

/**
 * Validates one entry of `stages:`. Returns undefined when the stage is unusable; problems
 * are on the checker either way, and everything checkable is checked so one run of
 * `slipway validate` shows all mistakes.
 */
export function readStage(c: Checker, slot: Slot, refs: Reference[]): StageRead {
  const map = readMap(c, slot);
  if (map === undefined) return {};
  const nameSlot = map.require("name");
  const name = nameSlot && readString(c, nameSlot, { nonEmpty: true });
  return { stage: readStageIn(c, slot, map, name, refs), ...(name === undefined ? {} : { name, nameSlot }) };
}

/** A stage if valid, and its name and where it is written, for the uniqueness check. */
export interface StageRead {
  stage?: Stage;
  name?: string;
  nameSlot?: Slot;
}

function readStageIn(
  c: Checker,
  slot: Slot,
  map: MapView,
  name: string | undefined,
  refs: Reference[],
): Stage | undefined {
  map.allowOnly(ALL_STAGE_KEYS);
  const whenSlot = map.get("when");
  const timeoutSlot = map.get("timeout");
  const envSlot = map.get("env");
  const when = whenSlot && readWhen(c, whenSlot);
  const timeoutSeconds = timeoutSlot && readDuration(c, timeoutSlot);
  if (timeoutSlot && timeoutSeconds === 0) {
    c.report(
      c.slotPosition(timeoutSlot),
      timeoutSlot.path,
      "SLIPWAY_E_PIPELINE_BAD_VALUE",
      `${timeoutSlot.path} must be greater than 0; omit it for no limit`,
    );
  }
  const env = envSlot ? readStringMap(c, envSlot, ENV_NAME) : {};

  const kinds = STAGE_KIND_KEYS.filter((k) => map.has(k));
  const label = name === undefined ? slot.path : `"${name}"`;
  const first = kinds[0];
  if (first === undefined) {
    const hint = map.has("commands") ? ' (it has "commands" but no "builder")' : "";
    c.report(
      map.position,
      slot.path,
      "SLIPWAY_E_PIPELINE_STAGE_KIND",
      `stage ${label} does nothing${hint}: give it one of ${STAGE_KIND_KEYS.join(", ")}`,
    );
    return undefined;
  }
  const second = kinds[1];
  if (second !== undefined) {
    const at = map.get(second);
    c.report(
      c.position(at?.keyNode),
      at?.path ?? slot.path,
      "SLIPWAY_E_PIPELINE_STAGE_KIND",
      `stage ${label} has both "${first}" and "${second}"; a stage does one thing, so split it into two stages`,
    );
    return undefined;
  }
  if (first !== "builder") {
    for (const key of BUILD_ONLY_KEYS) {
      const misplaced = map.get(key);
      if (misplaced === undefined) continue;
      c.report(
        c.position(misplaced.keyNode),
        misplaced.path,
        "SLIPWAY_E_PIPELINE_UNKNOWN_KEY",
        `key "${key}" is only valid in a build stage (one with "builder"), not in a ${first} stage`,
      );
    }
  }

  const body = readStageBody(c, map, first, refs);
  if (body === undefined || name === undefined || (when === undefined && whenSlot !== undefined)) return undefined;
  if (env === undefined || (timeoutSlot !== undefined && !timeoutSeconds)) return undefined;
  const base = { name, env, ...(when ? { when } : {}), ...(timeoutSeconds ? { timeoutSeconds } : {}) };
  return { ...base, ...body } as Stage;
}

function readStageBody(
  c: Checker,
  map: MapView,
  kind: (typeof STAGE_KIND_KEYS)[number],
  refs: Reference[],
): StageBody | undefined {
  switch (kind) {
    case "builder":
      return readBuildStage(c, map, refs);
    case "package":
      return readPackageStage(c, map.get("package") as Slot);
    case "compose":
      return readComposeStage(c, map.get("compose") as Slot, refs);
    case "push":
      return readPushStage(c, map.get("push") as Slot);
    case "deploy": {
      const slot = map.get("deploy") as Slot;
      const environment = readString(c, slot, { nonEmpty: true });
      if (environment === undefined) return undefined;
      refs.push({ kind: "environment", name: environment, slot });
      return { type: "deploy", environment };
    }
  }
}

function readBuildStage(c: Checker, map: MapView, refs: Reference[]): StageBody | undefined {
  const builderSlot = map.get("builder") as Slot;
  const builder = readString(c, builderSlot, { nonEmpty: true });
  if (builder !== undefined) refs.push({ kind: "builder", name: builder, slot: builderSlot });
  const commandsSlot = map.require("commands", " (a build stage runs commands in its builder)");
  const commands = commandsSlot && readStringItems(c, commandsSlot);
  if (commandsSlot && commands?.length === 0) {
    c.report(
      c.slotPosition(commandsSlot),
      commandsSlot.path,
      "SLIPWAY_E_PIPELINE_BAD_VALUE",
      `${commandsSlot.path} must list at least one command`,
    );
  }
  const artifactsSlot = map.get("artifacts");
  const artifacts = artifactsSlot ? readStringItems(c, artifactsSlot) : [];
  let pathsOk = true;
  if (artifactsSlot && artifacts && artifacts.length > PIPELINE_LIMITS.artifacts) {
    const msg = `${artifactsSlot.path} lists ${artifacts.length} paths; the most is ${PIPELINE_LIMITS.artifacts} (list a directory instead)`;
    c.report(c.slotPosition(artifactsSlot), artifactsSlot.path, "SLIPWAY_E_PIPELINE_TOO_MANY", msg);
    pathsOk = false;
  }
  for (const item of artifacts ?? []) pathsOk = checkWorkspacePath(c, item.text, item.slot) && pathsOk;
  if (builder === undefined || !commands?.length || artifacts === undefined || !pathsOk) return undefined;
  return { type: "build", builder, commands: commands.map((x) => x.text), artifacts: artifacts.map((x) => x.text) };
}

/** Artifacts are copied out of the workspace, so they must not name anything outside it. */
export function checkWorkspacePath(c: Checker, path: string, slot: Slot): boolean {
  const absolute = path.startsWith("/") || path.startsWith("\\") || /^[A-Za-z]:/.test(path) || path.startsWith("~");
  const parts = path.split(/[\\/]+/);
  const escapes = parts.includes("..");
  // `.git` holds git's configuration: an artifact there could make the daemon's next git
  // command in the checkout run a command of the pusher's choosing (core.fsmonitor).
  const gitDir = parts.includes(".git");
  if (path.trim() === "") {
    c.report(c.slotPosition(slot), slot.path, "SLIPWAY_E_PIPELINE_BAD_PATH", `${slot.path} is an empty path`);
    return false;
  }
  if (absolute || escapes || gitDir) {
    const why = absolute ? "is absolute" : escapes ? 'contains ".."' : 'names ".git"';
    c.report(
      c.slotPosition(slot),
      slot.path,
      "SLIPWAY_E_PIPELINE_BAD_PATH",
      `path "${path}" ${why}; artifact paths are relative to the workspace and stay inside it`,
    );
    return false;
  }
  return true;
}

function readPackageStage(c: Checker, slot: Slot): StageBody | undefined {
  const map = readMap(c, slot, { nullIsEmpty: true });
  if (map === undefined) return undefined;
  map.allowOnly(["dockerfile", "context", "build_args"]);
  const dockerfileSlot = map.get("dockerfile");
  const contextSlot = map.get("context");
  const argsSlot = map.get("build_args");
  const dockerfile = dockerfileSlot ? readString(c, dockerfileSlot, { nonEmpty: true }) : "Dockerfile";
  const context = contextSlot ? readString(c, contextSlot, { nonEmpty: true }) : ".";
  const buildArgs = argsSlot ? readStringMap(c, argsSlot) : {};
  if (dockerfile === undefined || context === undefined || buildArgs === undefined) return undefined;
  return { type: "package", dockerfile, context, buildArgs };
}

function readPushStage(c: Checker, slot: Slot): StageBody | undefined {
  const map = readMap(c, slot, { nullIsEmpty: true });
  if (map === undefined) return undefined;
  map.allowOnly(["tags", "registry"]);
  const tagsSlot = map.get("tags");
  const registrySlot = map.get("registry");
  const items = tagsSlot ? readStringItems(c, tagsSlot) : [];
  let ok = items !== undefined;
  for (const { text, slot: item } of items ?? []) {
    for (const [, word] of text.matchAll(/\{([^}]*)\}/g)) {
      if ((TAG_PLACEHOLDERS as readonly string[]).includes(word ?? "")) continue;
      ok = false;
      const known = TAG_PLACEHOLDERS.map((p) => `{${p}}`).join(", ");
      c.report(
        c.slotPosition(item),
        item.path,
        "SLIPWAY_E_PIPELINE_BAD_VALUE",
        `unknown placeholder "{${word}}" in tag "${text}"; use ${known}${didYouMean(word ?? "", TAG_PLACEHOLDERS)}`,
      );
    }
  }
  const registry = registrySlot ? readString(c, registrySlot, { nonEmpty: true }) : undefined;
  if (!ok || (registrySlot && registry === undefined)) return undefined;
  return { type: "push", tags: (items ?? []).map((x) => x.text), ...(registry ? { registry } : {}) };
}
