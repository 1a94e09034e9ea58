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
  opts: DrainOptions = {},
): Promise<void> {
  await (await beginDrain(engine, service, ids, drainSeconds, opts)).finish();
}

export interface DrainOptions {
  stopGraceSeconds?: number;
  log?: (line: string) => void;
  signal?: AbortSignal;
}

/** Old containers out of rotation and draining, still running until `finish`. */
export interface Drain {
  /** Waits out the rest of the drain, then stops and removes the containers. */
  finish(): Promise<void>;
  /** Puts the containers back in rotation (their replacements failed); they keep serving. */
  restore(): Promise<void>;
  /**
   * Waits out the rest of the drain and leaves the containers running, out of rotation (the
   * two-phase finish keeps them: deploy/keep.ts stops them after their service's last batch).
   */
  keep(): Promise<void>;
}

/**
 * Starts a drain: the containers leave rotation now and the drain clock starts, but they keep
 * running. A start-first batch begins the drain as soon as the replacements are ready, so the
 * drain overlaps the batch's `monitor` window; if a replacement fails within it, `restore`
 * puts the old containers back before anything was stopped.
 */
export async function beginDrain(
  engine: Engine,
  service: string,
  ids: string[],
  drainSeconds: number,
  opts: DrainOptions = {},
): Promise<Drain> {
  const drained = Date.now() + drainSeconds * 1000;
  const taken = (await Promise.all(ids.map((id) => takeOutOfRotation(engine, service, id)))).flat();
  let settled = false;
  return {
    async finish() {
      if (settled) return;
      settled = true;
      const rest = drained - Date.now();
      if (ids.length > 0 && rest > 0) await sleep(rest, opts.signal);
      await Promise.all(
        ids.map(async (id) => {
          await engine.stopContainer(id, opts.stopGraceSeconds ?? 10);
          await engine.removeContainer(id);
          opts.log?.(`removed ${service} container ${id.slice(0, 12)}`);
        }),
      );
    },
    async keep() {
      if (settled) return;
      settled = true;
      const rest = drained - Date.now();
      if (ids.length > 0 && rest > 0) await sleep(rest, opts.signal);
    },
    async restore() {
      if (settled) return;
      settled = true;
      await Promise.all(taken.map((t) => engine.reattachWithAliases(t.network, t.id, t.aliases)));
      if (taken.length > 0) opts.log?.(`${service}: ${ids.length} old container(s) back in rotation`);
    },
  };
}

interface TakenOut {
  id: string;
  network: string;
  /** The aliases it had before: what `restore` gives back. */
  aliases: string[];
}

async function takeOutOfRotation(engine: Engine, service: string, id: string): Promise<TakenOut[]> {
  const c = await engine.inspectContainer(id).catch(() => undefined);
  if (!c?.running) return [];
  const taken: TakenOut[] = [];
  for (const [network, { aliases }] of Object.entries(c.networks ?? {})) {
    if (!aliases.includes(service)) continue;
    // Keep its own name so it can still be reached by name (and reach others) while it drains.
    const keep = aliases.filter((a) => a !== service);
    const ok = await engine.reattachWithAliases(network, id, keep).then(
      () => true,
      () => false,
    );
    if (ok) taken.push({ id, network, aliases });
  }
  return taken;
}

/**
 * Puts a container that runs again (the two-phase finish's rollback) back in rotation: on
 * every network it is on, it answers to the service's name again.
 */
export async function putInRotation(engine: Engine, service: string, id: string): Promise<void> {
  const c = await engine.inspectContainer(id);
  for (const [network, { aliases }] of Object.entries(c.networks ?? {})) {
    if (aliases.includes(service)) continue;
    await engine.reattachWithAliases(network, id, [...aliases, service]);
  }
}
