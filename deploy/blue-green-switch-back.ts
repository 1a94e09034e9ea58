import type { Engine } from "../engine/index.js";
import type { DeploymentRow } from "../store/index.js";
import { type Colour, otherColour } from "./blue-green-plan.js";
import type { ColourProxy } from "./proxy.js";
import { readStackState } from "./stack-state.js";

/** The old colour still runs the version to return to: switch back without compose. */
export interface SwitchBack {
  from: Colour;
  to: Colour;
  proxyId: string;
}

/**
 * Whether a rollback can be one switch. True when the proxy serves one colour and the other
 * still runs exactly the deployment `to` recorded for it: every service it recorded has
 * containers, all at the recorded config hash, running and healthy (or without a
 * healthcheck). This is read from the engine and the recorded hashes alone, so it costs no
 * `compose config` (seconds per call on compose v1): users are back on the old version
 * before anything else is resolved.
 */
export async function canSwitchBack(
  engine: Engine,
  proxy: ColourProxy,
  project: string,
  to: DeploymentRow,
): Promise<SwitchBack | undefined> {
  const spec = (to.spec ?? {}) as { colour?: string; hashes?: Record<string, string> };
  if ((spec.colour !== "blue" && spec.colour !== "green") || !spec.hashes) return undefined;
  const colour: Colour = spec.colour;
  const info = await proxy.inspect();
  if (!info.id || !info.current || info.active !== otherColour(colour)) return undefined;
  const stack = await readStackState(engine, `${project}-${colour}`);
  const services = Object.entries(spec.hashes);
  if (services.length === 0) return undefined;
  for (const [service, hash] of services) {
    const replicas = stack[service] ?? [];
    // readStackState gives a stopped or unhealthy container an empty hash.
    if (replicas.length === 0 || replicas.some((r) => r.hash !== hash)) return undefined;
    for (const r of replicas) {
      const c = await engine.inspectContainer(r.id).catch(() => undefined);
      if (!c?.running || (c.health !== "healthy" && c.health !== "none")) return undefined;
    }
  }
  return { from: info.active, to: colour, proxyId: info.id };
}
