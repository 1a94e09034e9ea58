import { type Checker, readDuration, readInt, readMap, readString, readStringList, type Slot } from "./schema.js";
import type { BlueGreenDef } from "./types.js";

/**
 * `environments.<name>.blue_green:`: where the proxy Slipway manages sends traffic (one
 * service and container port of the stack), where it listens on the host, the optional
 * smoke command and how long the old colour stays up for an instant rollback.
 */

const KEYS = ["service", "port", "publish", "smoke", "scale_down_after"];
const SERVICE_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
// `8080`, `127.0.0.1:8080`, `0.0.0.0:80`, `[::1]:8080`; port 0 lets the engine choose (tests).
const PUBLISH = /^(?:(\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-fA-F:]+\]):)?(\d{1,5})$/;
/** Ten minutes: long enough to notice a bad release and switch back at once. */
export const DEFAULT_SCALE_DOWN_AFTER_SECONDS = 600;

export function readBlueGreen(c: Checker, slot: Slot): BlueGreenDef | undefined {
  const map = readMap(c, slot);
  if (map === undefined) return undefined;
  map.allowOnly(KEYS);
  let ok = true;
  const serviceSlot = map.require("service", " (the service of the compose file that receives traffic)");
  const service = serviceSlot && readString(c, serviceSlot, { nonEmpty: true });
  if (serviceSlot && service !== undefined && !SERVICE_NAME.test(service)) {
    c.report(
      c.slotPosition(serviceSlot),
      serviceSlot.path,
      "SLIPWAY_E_PIPELINE_BAD_VALUE",
      `"${service}" is not a compose service name`,
    );
    ok = false;
  }
  const portSlot = map.require("port", " (the container port of that service)");
  const port = portSlot && readInt(c, portSlot, 1);
  if (portSlot && port !== undefined && port > 65535) {
    c.report(
      c.slotPosition(portSlot),
      portSlot.path,
      "SLIPWAY_E_PIPELINE_BAD_VALUE",
      `${portSlot.path} must be a port from 1 to 65535, got ${port}`,
    );
    ok = false;
  }
  const publishSlot = map.require("publish", ' (the host port the proxy listens on, e.g. "80" or "127.0.0.1:8080")');
  const publish = publishSlot && readPublish(c, publishSlot);
  const smokeSlot = map.get("smoke");
  const smoke = smokeSlot && readStringList(c, smokeSlot);
  const delaySlot = map.get("scale_down_after");
  const scaleDownAfterSeconds = delaySlot ? readDuration(c, delaySlot) : DEFAULT_SCALE_DOWN_AFTER_SECONDS;
  if (!ok || service === undefined || port === undefined || publish === undefined) return undefined;
  if ((smokeSlot && smoke === undefined) || scaleDownAfterSeconds === undefined) return undefined;
  return {
    service,
    port,
    publish,
    ...(smoke && smoke.length > 0 ? { smoke } : {}),
    scaleDownAfterSeconds,
  };
}

function readPublish(c: Checker, slot: Slot): BlueGreenDef["publish"] | undefined {
  const text = readString(c, slot, { coerce: true });
  if (text === undefined) return undefined;
  const m = PUBLISH.exec(text.trim());
  const port = m ? Number(m[2]) : Number.NaN;
  if (!m || port > 65535) {
    c.report(
      c.slotPosition(slot),
      slot.path,
      "SLIPWAY_E_PIPELINE_BAD_VALUE",
      `${slot.path} must be "[host-ip:]port" (e.g. "80" or "127.0.0.1:8080"; port 0 lets the engine choose), got "${text}"`,
    );
    return undefined;
  }
  // Without an address the proxy listens on every interface, as compose's "80:80" does.
  return { hostIp: (m[1] ?? "0.0.0.0").replace(/^\[|\]$/g, ""), hostPort: port };
}
