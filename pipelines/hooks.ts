import { isScalar } from "../core/index.js";
import { type Checker, readDuration, readMap, readString, readStringList, type Slot } from "./schema.js";
import type { DeployHook, DeployHooks } from "./types.js";

/**
 * `environments.<name>.hooks:`: commands run before and after a deployment in a one-off
 * container of one of the environment's own compose services (`compose run --rm`), with the
 * new version's variables, so a database migration runs from the image being deployed.
 */

const HOOK_NAMES = { pre_deploy: "preDeploy", post_deploy: "postDeploy" } as const;
const HOOK_KEYS = ["service", "command", "timeout"];
const SERVICE_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
/** Ten minutes: a migration may take a while; one that hangs must not hold the environment's lock forever. */
export const DEFAULT_HOOK_TIMEOUT_SECONDS = 600;

export function readHooks(c: Checker, slot: Slot): DeployHooks | undefined {
  const map = readMap(c, slot);
  if (map === undefined) return undefined;
  map.allowOnly(Object.keys(HOOK_NAMES));
  const out: DeployHooks = {};
  let ok = true;
  for (const [key, field] of Object.entries(HOOK_NAMES)) {
    const entry = map.get(key);
    if (!entry) continue;
    const hook = readHook(c, entry);
    if (hook) out[field] = hook;
    else ok = false;
  }
  return ok ? out : undefined;
}

function readHook(c: Checker, slot: Slot): DeployHook | undefined {
  const map = readMap(c, slot);
  if (map === undefined) return undefined;
  map.allowOnly(HOOK_KEYS);
  const serviceSlot = map.require("service", " (the compose service whose one-off container runs the command)");
  const service = serviceSlot && readString(c, serviceSlot, { nonEmpty: true });
  if (serviceSlot && service !== undefined && !SERVICE_NAME.test(service)) {
    c.report(
      c.slotPosition(serviceSlot),
      serviceSlot.path,
      "SLIPWAY_E_PIPELINE_BAD_VALUE",
      `"${service}" is not a compose service name`,
    );
    return undefined;
  }
  const commandSlot = map.require("command", " (a shell command, or a list: the argv)");
  // A string is a shell command line, a list the exact argv (as compose's own `command:`).
  const isLine = commandSlot && isScalar(commandSlot.value) && typeof commandSlot.value.value === "string";
  const words = commandSlot && readStringList(c, commandSlot);
  if (commandSlot && words?.length === 0) {
    c.report(c.slotPosition(commandSlot), commandSlot.path, "SLIPWAY_E_PIPELINE_BAD_VALUE", "the command is empty");
    return undefined;
  }
  const timeoutSlot = map.get("timeout");
  const timeoutSeconds = timeoutSlot ? readDuration(c, timeoutSlot) : DEFAULT_HOOK_TIMEOUT_SECONDS;
  if (service === undefined || words === undefined || timeoutSeconds === undefined) return undefined;
  return { service, command: isLine ? ["sh", "-c", words[0] ?? ""] : words, timeoutSeconds };
}
