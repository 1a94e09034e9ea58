import type { Engine } from "../engine/index.js";
import { type HealthSettings, progressDeadlineSeconds } from "./service-spec.js";

/** What the health watch saw of one new container. */
export interface ContainerVerdict {
  id: string;
  state: "healthy" | "running" | "unhealthy" | "exited" | "deadline";
  detail: string;
}

// Readiness is seen at most this late (inspect is cheap); during the monitor window the
// watch polls less often, and its last poll lands on the window's end, not up to a poll late.
const READY_POLL_MS = 50;
const MONITOR_POLL_MS = 100;

/**
 * Waits until each container is ready (healthy when it has a healthcheck, running when it has
 * none), then watches it for `monitorSeconds`. A container that exits, turns unhealthy, or is
 * not ready by the progress deadline derived from its healthcheck counts as failed.
 * `onAllReady` is called once, when every container has become ready (before the monitor
 * window ends): a start-first batch starts draining the old containers there.
 */
export async function watchContainers(
  engine: Engine,
  ids: string[],
  health: HealthSettings | undefined,
  monitorSeconds: number,
  signal?: AbortSignal,
  onAllReady?: () => void,
): Promise<ContainerVerdict[]> {
  let waiting = ids.length;
  const ready = () => {
    waiting -= 1;
    if (waiting === 0) onAllReady?.();
  };
  return Promise.all(ids.map((id) => watchOne(engine, id, health, monitorSeconds, ready, signal)));
}

async function watchOne(
  engine: Engine,
  id: string,
  health: HealthSettings | undefined,
  monitorSeconds: number,
  onReady: () => void,
  signal?: AbortSignal,
): Promise<ContainerVerdict> {
  const deadline = Date.now() + progressDeadlineSeconds(health) * 1000;
  let readyAt: number | undefined;
  for (;;) {
    signal?.throwIfAborted();
    const c = await engine.inspectContainer(id).catch(() => undefined);
    if (!c) return { id, state: "exited", detail: "container disappeared" };
    if (!c.running) return { id, state: "exited", detail: `exited with code ${c.exitCode}` };
    if (c.health === "unhealthy") {
      return { id, state: "unhealthy", detail: (c.healthLog ?? []).slice(-1)[0] ?? "unhealthy" };
    }
    const ready = health === undefined || c.health === "none" || c.health === "healthy";
    if (ready && readyAt === undefined) {
      readyAt = Date.now();
      onReady();
    }
    if (readyAt !== undefined && Date.now() - readyAt >= monitorSeconds * 1000) {
      return { id, state: health ? "healthy" : "running", detail: `ready, then stable for ${monitorSeconds}s` };
    }
    if (readyAt === undefined && Date.now() > deadline) {
      return {
        id,
        state: "deadline",
        detail: `not healthy within ${progressDeadlineSeconds(health)}s (health ${c.health})`,
      };
    }
    const wait =
      readyAt === undefined
        ? READY_POLL_MS
        : Math.min(MONITOR_POLL_MS, Math.max(0, readyAt + monitorSeconds * 1000 - Date.now()));
    await sleep(wait, signal);
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
