import { isScalar } from "../core/index.js";
import { readBlueGreen } from "./blue-green.js";
import { readHooks } from "./hooks.js";
import type { PipelineErrorCode } from "./problems.js";
import {
  type Checker,
  type MapView,
  readDuration,
  readEnum,
  readInt,
  readMap,
  readString,
  type Slot,
  typeError,
} from "./schema.js";
import { readWhen } from "./stages.js";
import type { EnvironmentDef, UpdateOverrides } from "./types.js";
import { readWindow } from "./window-schema.js";

/**
 * `environments:` of `slipway.yml`. Update settings are kept as overrides only: the compose
 * file's `deploy.update_config` and Swarm's defaults are merged in by `deploy/`, which is the
 * only place that knows the compose file.
 */

const PROJECT_NAME = /^[a-z0-9][a-z0-9_-]*$/;
/** `keep_versions` when the file does not say: the last three earlier versions stay rollback-able. */
export const DEFAULT_KEEP_VERSIONS = 3;
const ENV_KEYS = [
  "compose",
  "project",
  "strategy",
  "update",
  "rollback",
  "approval",
  "approval_timeout",
  "window",
  "when",
  "blue_green",
  "hooks",
  "confirm_upgrade",
  "keep_versions",
];
// Canonical keys (the compose spec's names) and Rancher's aliases for three of them.
const UPDATE_KEYS = ["parallelism", "delay", "order", "failure_action", "monitor", "max_failure_ratio", "drain"];
const ALIASES: Record<string, string> = { batch_size: "parallelism", interval: "delay", start_first: "order" };

function readEnvironment(c: Checker, name: string, slot: Slot): EnvironmentDef | undefined {
  const map = readMap(c, slot);
  if (map === undefined) return undefined;
  map.allowOnly(ENV_KEYS);
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
  const strategySlot = map.get("strategy");
  let strategy = get("strategy", "rolling" as const, (s) =>
    readEnum(c, s, ["rolling", "blue-green", "recreate"] as const),
  );
  // blue_green: belongs to blue-green and to nothing else: a stray one would be a silent no-op.
  const blueGreenSlot = map.get("blue_green");
  const blueGreen = blueGreenSlot && readBlueGreen(c, blueGreenSlot);
  if (strategySlot && strategy === "blue-green" && !blueGreenSlot) {
    c.report(
      c.slotPosition(strategySlot),
      strategySlot.path,
      "SLIPWAY_E_PIPELINE_REQUIRED",
      `strategy "blue-green" needs a blue_green: section (service, port, publish: where the proxy sends and takes traffic)`,
    );
    strategy = undefined;
  } else if (blueGreenSlot && strategy !== "blue-green" && strategy !== undefined) {
    c.report(
      c.position(blueGreenSlot.keyNode),
      blueGreenSlot.path,
      "SLIPWAY_E_PIPELINE_BAD_VALUE",
      `blue_green: applies only to strategy "blue-green" (this environment is "${strategy}")`,
    );
    strategy = undefined;
  }
  if (blueGreenSlot && blueGreen === undefined) strategy = undefined;
  const approval = get("approval", "none" as const, (s) => readEnum(c, s, ["none", "manual"] as const));
  const timeoutSlot = map.get("approval_timeout");
  let approvalTimeoutSeconds = timeoutSlot && readDuration(c, timeoutSlot);
  if (timeoutSlot && approvalTimeoutSeconds !== undefined && approval === "none") {
    // A timeout nobody waits on would be validated and then ignored.
    c.report(
      c.position(timeoutSlot.keyNode),
      timeoutSlot.path,
      "SLIPWAY_E_PIPELINE_IGNORED_KEY",
      `approval_timeout has no effect without approval: manual; add approval: manual or remove approval_timeout`,
    );
    approvalTimeoutSeconds = undefined;
  } else if (timeoutSlot && approvalTimeoutSeconds === 0) {
    const msg = `${timeoutSlot.path} must be longer than 0s (a zero timeout would reject every deploy at once)`;
    c.report(c.slotPosition(timeoutSlot), timeoutSlot.path, "SLIPWAY_E_PIPELINE_BAD_VALUE", msg);
    approvalTimeoutSeconds = undefined;
  }
  const windowSlot = map.get("window");
  const window = windowSlot && readWindow(c, windowSlot);
  const whenSlot = map.get("when");
  const when = whenSlot && readWhen(c, whenSlot);
  const hooksSlot = map.get("hooks");
  const hooks = hooksSlot && readHooks(c, hooksSlot);
  const update = get("update", {} as UpdateOverrides, (s) => readUpdate(c, s, "update"));
  const rollback = get("rollback", {} as UpdateOverrides, (s) => readUpdate(c, s, "rollback"));
  const twoPhase = readTwoPhase(c, map, strategy, update);
  const valid =
    compose !== undefined && strategy && approval && update && rollback && !(projectSlot && project === undefined);
  const optionalBroken =
    (whenSlot && when === undefined) ||
    (timeoutSlot && approvalTimeoutSeconds === undefined) ||
    (windowSlot && window === undefined);
  if (!valid || !strategy || !approval || !twoPhase || optionalBroken) return undefined;
  return {
    name,
    compose,
    ...(project ? { project } : {}),
    strategy,
    update,
    rollback,
    approval,
    ...(approvalTimeoutSeconds !== undefined ? { approvalTimeoutSeconds } : {}),
    ...(window ? { window } : {}),
    ...(when ? { when } : {}),
    ...(blueGreen ? { blueGreen } : {}),
    ...(hooks ? { hooks } : {}),
    ...(twoPhase.confirmUpgrade ? { confirmUpgrade: true } : {}),
    ...(twoPhase.keepVersions !== undefined ? { keepVersions: twoPhase.keepVersions } : {}),
  };
}

/**
 * The two-phase finish: `confirm_upgrade` (old containers kept stopped until `slipway confirm`,
 * a rollback before that restarting them) and `keep_versions` (how many earlier versions
 * `slipway rollback ENV VERSION` may go to). Undefined when a value is broken.
 * `confirm_upgrade` belongs to the rolling strategy only: blue-green keeps the old colour up
 * by itself, and under recreate compose replaces the containers itself (nothing to keep).
 * The replaced containers stay up out of rotation until their service's last batch, so the
 * order must be start-first (see deploy/keep.ts).
 */
function readTwoPhase(
  c: Checker,
  map: MapView,
  strategy: EnvironmentDef["strategy"] | undefined,
  update: UpdateOverrides | undefined,
): { confirmUpgrade?: boolean; keepVersions?: number } | undefined {
  const out: { confirmUpgrade?: boolean; keepVersions?: number } = {};
  let ok = true;
  const keepSlot = map.get("keep_versions");
  if (keepSlot) {
    const n = readInt(c, keepSlot, 1);
    if (n === undefined) ok = false;
    else out.keepVersions = n;
  }
  const confirmSlot = map.get("confirm_upgrade");
  if (!confirmSlot) return ok ? out : undefined;
  const node = confirmSlot.value;
  if (!isScalar(node) || typeof node.value !== "boolean") {
    typeError(c, confirmSlot, "true or false");
    return undefined;
  }
  if (!node.value) return ok ? out : undefined;
  const refuse = (code: PipelineErrorCode, message: string) => {
    c.report(c.position(confirmSlot.keyNode), confirmSlot.path, code, message);
    ok = false;
  };
  if (strategy === "blue-green") {
    refuse(
      "SLIPWAY_E_PIPELINE_BAD_VALUE",
      `confirm_upgrade applies to strategy "rolling": under "blue-green" the old colour stays up by itself until blue_green.scale_down_after, and \`slipway rollback\` switches back to it`,
    );
  } else if (strategy === "recreate") {
    refuse(
      "SLIPWAY_E_PIPELINE_NOT_IMPLEMENTED",
      `confirm_upgrade is not implemented for strategy "recreate" (compose replaces the containers itself, so none can be kept); use strategy "rolling" with update.order start-first`,
    );
  } else if (update?.order === "stop-first") {
    refuse(
      "SLIPWAY_E_PIPELINE_BAD_VALUE",
      `confirm_upgrade keeps the replaced containers until \`slipway confirm\`, so replicas are replaced start-first; it cannot be combined with update.order stop-first`,
    );
  }
  if (ok) out.confirmUpgrade = true;
  return ok ? out : undefined;
}

function readUpdate(c: Checker, slot: Slot, section: "update" | "rollback"): UpdateOverrides | undefined {
  const map = readMap(c, slot, { nullIsEmpty: true });
  if (map === undefined) return undefined;
  map.allowOnly([...UPDATE_KEYS, ...Object.keys(ALIASES)]);
  const out: UpdateOverrides = {};
  let ok = true;
  const entryOf = (key: string): Slot | undefined => {
    const alias = Object.keys(ALIASES).find((a) => ALIASES[a] === key);
    const canonical = map.get(key);
    const aliased = alias ? map.get(alias) : undefined;
    if (canonical && aliased) {
      c.report(
        c.position(aliased.keyNode),
        aliased.path,
        "SLIPWAY_E_PIPELINE_ONE_OF",
        `"${alias}" is Rancher's name for "${key}"; give only one of them`,
      );
      ok = false;
      return undefined;
    }
    return canonical ?? aliased;
  };
  const take = <K extends keyof UpdateOverrides>(
    key: string,
    field: K,
    read: (s: Slot) => UpdateOverrides[K] | undefined,
  ) => {
    const entry = entryOf(key);
    if (entry === undefined) return;
    const value = read(entry);
    if (value === undefined) ok = false;
    else out[field] = value;
  };
  const actions =
    section === "update" ? (["rollback", "pause", "continue"] as const) : (["pause", "continue"] as const);
  take("parallelism", "parallelism", (s) => readInt(c, s, 1));
  take("delay", "delaySeconds", (s) => readDuration(c, s));
  take("order", "order", (s) =>
    s.path.endsWith("start_first") ? readStartFirst(c, s) : readEnum(c, s, ["start-first", "stop-first"] as const),
  );
  // A rollback that fails pauses or continues; rolling back a rollback has no meaning.
  take("failure_action", "failureAction", (s) => readEnum(c, s, actions));
  take("monitor", "monitorSeconds", (s) => readDuration(c, s));
  take("max_failure_ratio", "maxFailureRatio", (s) => readRatio(c, s));
  take("drain", "drainSeconds", (s) => readDuration(c, s));
  return ok ? out : undefined;
}

function readStartFirst(c: Checker, slot: Slot): "start-first" | "stop-first" | undefined {
  const node = slot.value;
  if (!isScalar(node) || typeof node.value !== "boolean") return typeError(c, slot, "true or false");
  return node.value ? "start-first" : "stop-first";
}

function readRatio(c: Checker, slot: Slot): number | undefined {
  const node = slot.value;
  if (!isScalar(node) || typeof node.value !== "number") return typeError(c, slot, "a number from 0 to 1");
  if (!(node.value >= 0 && node.value <= 1)) {
    const msg = `${slot.path} must be between 0 and 1 (a fraction of the replicas), got ${node.value}`;
    c.report(c.slotPosition(slot), slot.path, "SLIPWAY_E_PIPELINE_BAD_VALUE", msg);
    return undefined;
  }
  return node.value;
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
