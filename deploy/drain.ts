import type { Engine } from "../engine/index.js";
import { sleep } from "./health.js";

/**
 * Takes old containers out of rotation, then stops and removes them. Out of rotation means:
 * on every network where the container answers to the service's name, it is reattached
 * without that alias, so Docker's DNS (127.0.0.11) stops returning it and a load balancer
 * that follows DNS (HAProxy `server-template` + `resolvers`) drops it at its next
 * resolution. `drainSeconds` covers that interval plus the requests still in flight; only
 * then does the container get SIGTERM (and `stopGraceSeconds` before SIGKILL).
 */
export async function drainAndRemove(
  engine: Engine,
  service: string,
  ids: string[],
  drainSeconds: number,
  opts: { stopGraceSeconds?: number; log?: (line: string) => void; signal?: AbortSignal } = {},
): Promise<void> {
  if (ids.length === 0) return;
  await Promise.all(ids.map((id) => takeOutOfRotation(engine, service, id)));
  if (drainSeconds > 0) await sleep(drainSeconds * 1000, opts.signal);
  await Promise.all(
    ids.map(async (id) => {
      await engine.stopContainer(id, opts.stopGraceSeconds ?? 10);
      await engine.removeContainer(id);
      opts.log?.(`removed ${service} container ${id.slice(0, 12)}`);
    }),
  );
}

async function takeOutOfRotation(engine: Engine, service: string, id: string): Promise<void> {
  const c = await engine.inspectContainer(id).catch(() => undefined);
  if (!c?.running) return;
  for (const [network, { aliases }] of Object.entries(c.networks ?? {})) {
    if (!aliases.includes(service)) continue;
    // Keep its own name so it can still be reached by name (and reach others) while it drains.
    const keep = aliases.filter((a) => a !== service);
    await engine.reattachWithoutAliases(network, id, keep).catch(() => undefined);
  }
}
