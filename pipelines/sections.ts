import { defaultFlow } from "./gitflow.js";
import { type Checker, readDuration, readEnum, readInt, readMap, readString, type Slot } from "./schema.js";
import { readWhen } from "./stages.js";
import type { BuilderDef, EnvironmentDef, FlowConfig } from "./types.js";

/** Sections of `slipway.yml` besides `stages:`: `flow:`, `builders:` and `environments:`. */

const FLOW_KEYS = ["develop", "main", "feature", "release", "hotfix", "tag"] as const;
// Builder names become part of an image name (`slipway-builder/<name>`), so they follow its rules.
const BUILDER_NAME = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
const IMAGE_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}$/;
const PROJECT_NAME = /^[a-z0-9][a-z0-9_-]*$/;
const BUILDER_SOURCES = ["dockerfile", "catalog", "image"] as const;

export function readFlow(c: Checker, slot: Slot | undefined): FlowConfig {
  const flow = defaultFlow();
  if (slot === undefined) return flow;
  const map = readMap(c, slot, { nullIsEmpty: true });
  if (map === undefined) return flow;
  map.allowOnly(FLOW_KEYS);
  for (const key of FLOW_KEYS) {
    const entry = map.get(key);
    const value = entry && readString(c, entry, { nonEmpty: true });
    if (value !== undefined) flow[key] = value;
  }
  return flow;
}

/** `golang:1.22` → `1.22`; an image builder's version defaults to its tag. */
function imageTag(image: string): string {
  const name = image.split("@")[0] ?? image;
  const colon = name.lastIndexOf(":");
  return colon > name.lastIndexOf("/") ? name.slice(colon + 1) : "latest";
}

function readBuilder(c: Checker, name: string, slot: Slot): BuilderDef | undefined {
  const map = readMap(c, slot);
  if (map === undefined) return undefined;
  map.allowOnly([...BUILDER_SOURCES, "context", "version"]);
  if (!BUILDER_NAME.test(name)) {
    const at = c.position(slot.keyNode);
    c.report(
      at,
      slot.path,
      "SLIPWAY_E_PIPELINE_BAD_VALUE",
      `builder name "${name}" must be lowercase letters and digits, separated by ".", "_" or "-"`,
    );
  }
  const sources = BUILDER_SOURCES.filter((k) => map.has(k));
  const source = sources[0];
  if (source === undefined || sources.length > 1) {
    const second = sources[1] === undefined ? undefined : map.get(sources[1]);
    const at = second ? c.position(second.keyNode) : map.position;
    const why = second ? `has both "${source}" and "${sources[1]}"` : "says nowhere to get the builder from";
    c.report(
      at,
      second?.path ?? slot.path,
      "SLIPWAY_E_PIPELINE_ONE_OF",
      `builder "${name}" ${why}: give exactly one of dockerfile, catalog or image`,
    );
    return undefined;
  }
  const context = map.get("context");
  if (context && source !== "dockerfile") {
    c.report(
      c.position(context.keyNode),
      context.path,
      "SLIPWAY_E_PIPELINE_UNKNOWN_KEY",
      `key "context" is only valid with "dockerfile", not with "${source}"`,
    );
  }
  const value = readString(c, map.get(source) as Slot, { nonEmpty: true });
  const versionSlot =
    source === "image"
      ? map.get("version")
      : map.require("version", ` (builder "${name}" is built by Slipway and tagged with it)`);
  let version = versionSlot && readString(c, versionSlot, { coerce: true, nonEmpty: true });
  if (versionSlot && version !== undefined && !IMAGE_TAG.test(version)) {
    c.report(
      c.slotPosition(versionSlot),
      versionSlot.path,
      "SLIPWAY_E_PIPELINE_BAD_VALUE",
      `version "${version}" must be usable as an image tag (letters, digits, "_", ".", "-")`,
    );
    version = undefined;
  }
  if (value === undefined) return undefined;
  if (source === "image" && versionSlot === undefined) version = imageTag(value);
  if (version === undefined) return undefined;
  if (source === "dockerfile") {
    const contextValue = context ? readString(c, context, { nonEmpty: true }) : dirname(value);
    if (contextValue === undefined) return undefined;
    return { name, dockerfile: value, context: contextValue, version };
  }
  return { name, [source]: value, version };
}

function dirname(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash <= 0 ? "." : path.slice(0, slash);
}

/** Returns the valid builders and every declared name (even invalid ones, to avoid follow-on errors). */
export function readBuilders(
  c: Checker,
  slot: Slot | undefined,
): { builders: Record<string, BuilderDef>; declared: Set<string> } {
  const builders: Record<string, BuilderDef> = {};
  const map = slot && readMap(c, slot, { nullIsEmpty: true });
  if (map === undefined) return { builders, declared: new Set() };
  for (const [name, entry] of map.entries) {
    const def = readBuilder(c, name, entry);
    if (def) builders[name] = def;
  }
  return { builders, declared: new Set(map.keys()) };
}

function readEnvironment(c: Checker, name: string, slot: Slot): EnvironmentDef | undefined {
  const map = readMap(c, slot);
  if (map === undefined) return undefined;
  map.allowOnly(["compose", "project", "strategy", "update", "approval", "when"]);
  const composeSlot = map.require("compose", " (the compose file the environment runs)");
  const compose = composeSlot && readString(c, composeSlot, { nonEmpty: true });
  const projectSlot = map.get("project");
  let project = projectSlot && readString(c, projectSlot, { nonEmpty: true });
  if (projectSlot && project !== undefined && !PROJECT_NAME.test(project)) {
    const msg = `project "${project}" must be a compose project name: lowercase letters, digits, "_" and "-"`;
    c.report(c.slotPosition(projectSlot), projectSlot.path, "SLIPWAY_E_PIPELINE_BAD_VALUE", msg);
    project = undefined;
  }
  const get = <T>(key: string, fallback: T, read: (s: Slot) => T | undefined): T | undefined => {
    const entry = map.get(key);
    return entry ? read(entry) : fallback;
  };
  const strategy = get("strategy", "rolling" as const, (s) =>
    readEnum(c, s, ["rolling", "blue-green", "recreate"] as const),
  );
  const approval = get("approval", "none" as const, (s) => readEnum(c, s, ["none", "manual"] as const));
  const whenSlot = map.get("when");
  const when = whenSlot && readWhen(c, whenSlot);
  const update = get("update", {} as Partial<EnvironmentDef["update"]>, (s) => readUpdate(c, s));
  const valid = compose !== undefined && strategy && approval && update && !(projectSlot && project === undefined);
  if (!valid || (whenSlot && when === undefined)) return undefined;
  return {
    name,
    compose,
    ...(project ? { project } : {}),
    strategy,
    update: {
      parallelism: 1,
      delaySeconds: 0,
      order: "start-first",
      failureAction: "rollback",
      monitorSeconds: 5,
      ...update,
    },
    approval,
    ...(when ? { when } : {}),
  };
}

function readUpdate(c: Checker, slot: Slot): Partial<EnvironmentDef["update"]> | undefined {
  const map = readMap(c, slot, { nullIsEmpty: true });
  if (map === undefined) return undefined;
  map.allowOnly(["parallelism", "delay", "order", "failure_action", "monitor"]);
  const out: Partial<EnvironmentDef["update"]> = {};
  let ok = true;
  const take = <K extends keyof EnvironmentDef["update"]>(
    key: string,
    field: K,
    read: (s: Slot) => EnvironmentDef["update"][K] | undefined,
  ) => {
    const entry = map.get(key);
    if (entry === undefined) return;
    const value = read(entry);
    if (value === undefined) ok = false;
    else out[field] = value;
  };
  take("parallelism", "parallelism", (s) => readInt(c, s, 1));
  take("delay", "delaySeconds", (s) => readDuration(c, s));
  take("order", "order", (s) => readEnum(c, s, ["start-first", "stop-first"] as const));
  take("failure_action", "failureAction", (s) => readEnum(c, s, ["rollback", "pause", "continue"] as const));
  take("monitor", "monitorSeconds", (s) => readDuration(c, s));
  return ok ? out : undefined;
}

export function readEnvironments(
  c: Checker,
  slot: Slot | undefined,
): { environments: Record<string, EnvironmentDef>; declared: Set<string> } {
  const environments: Record<string, EnvironmentDef> = {};
  const map = slot && readMap(c, slot, { nullIsEmpty: true });
  if (map === undefined) return { environments, declared: new Set() };
  for (const [name, entry] of map.entries) {
    const def = readEnvironment(c, name, entry);
    if (def) environments[name] = def;
  }
  return { environments, declared: new Set(map.keys()) };
}
