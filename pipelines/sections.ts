import { defaultFlow } from "./gitflow.js";
import { type Checker, readMap, readString, type Slot } from "./schema.js";
import type { BuilderDef, FlowConfig } from "./types.js";

/** Sections of `slipway.yml` besides `stages:` and `environments:`: `flow:` and `builders:`. */

const FLOW_KEYS = ["develop", "main", "feature", "release", "hotfix", "tag"] as const;
// Builder names become part of an image name (`slipway-builder/<name>`), so they follow its rules.
const BUILDER_NAME = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
const IMAGE_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}$/;
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
