import type { Engine } from "../engine/index.js";
import { type Drain, putInRotation } from "./drain.js";

/**
 * The two-phase finish (`confirm_upgrade: true`, Rancher's `--confirm-upgrade`): a rolling
 * upgrade keeps the containers it replaces, stopped, until `slipway confirm` removes them or
 * `slipway rollback` starts them again.
 *
 * Why they stay running (out of rotation) until their service's last batch: compose finds a
 * service's containers by labels (project, service, oneoff), which cannot be changed on an
 * existing container, and `up --scale N --no-recreate` (a service's first rolling batch, and
 * any later one that finds no ready new container to copy, deploy/replicas.ts) starts every
 * stopped container it finds (compose v1 starts the first N and removes the rest; v2 does the
 * same). A stopped kept container could therefore be revived, or removed, by a later batch.
 * So a replaced container is taken out of rotation (its service alias removed, then `drain`
 * waited) but keeps running while compose still has batches to run for its service; the batch
 * arithmetic (`scale = containers + add`) counts it, and `--no-recreate` leaves a running
 * container alone. Right after the service's last batch, every kept container of the service
 * is stopped. From then on no compose `up` of the environment may run while they exist: a
 * deploy is refused (SLIPWAY_E_DEPLOY_AWAITING_CONFIRM) until `confirm` or `rollback`. Neither
 * of those runs compose `up`: confirm removes the kept containers, rollback starts them and
 * removes the new ones through the engine. That holds for compose v1 and v2 alike.
 *
 * Because replaced containers run on until their service's batches end, the order must be
 * start-first (stop-first exists for a port or a resource two containers cannot share).
 */
export class Keeper {
  /** Per service: replaced containers out of rotation, still running. */
  private readonly running = new Map<string, string[]>();
  /** Per service: kept containers already stopped (their service's rollout ended). */
  private readonly stopped = new Map<string, string[]>();

  constructor(
    private readonly engine: Engine,
    private readonly log: (line: string) => void,
  ) {}

  /**
   * Keeps replaced containers whose drain began (out of rotation): waits out the drain so
   * their in-flight requests finish; they keep running until `park`.
   */
  async retire(service: string, ids: string[], drain: Drain): Promise<void> {
    if (ids.length === 0) return;
    this.running.set(service, [...(this.running.get(service) ?? []), ...ids]);
    await drain.keep();
  }

  /** The service's rollout is over (no compose call will touch it again): its kept containers stop. */
  async park(service: string, stopGraceSeconds = 10): Promise<void> {
    const ids = this.running.get(service) ?? [];
    this.running.delete(service);
    if (ids.length === 0) return;
    await Promise.all(ids.map((id) => this.engine.stopContainer(id, stopGraceSeconds)));
    this.stopped.set(service, [...(this.stopped.get(service) ?? []), ...ids]);
    this.log(`kept ${service} container(s) ${ids.map((id) => id.slice(0, 12)).join(", ")} stopped until confirm`);
  }

  /** What the deployment keeps, per service (recorded in its spec as `kept`). */
  kept(): Record<string, string[]> {
    return Object.fromEntries(this.stopped);
  }

  /**
   * A rollout that did not finish gives its kept containers up, so what follows (a rollback, a
   * pause, a later `confirm`) sees an ordinary stack: running ones go back into rotation (a
   * rollback then finds them current and only removes the new ones); stopped ones are started
   * again and put back when `revive` (the rollback), removed otherwise (as without
   * confirm_upgrade), since compose would start them again.
   */
  async release(revive: boolean): Promise<void> {
    const running = [...this.running.entries()];
    const stopped = [...this.stopped.entries()];
    this.running.clear();
    this.stopped.clear();
    for (const [service, ids] of stopped) {
      if (revive) {
        await Promise.all(ids.map((id) => this.engine.startContainer(id).catch(() => {})));
        running.push([service, ids]);
      } else {
        await Promise.all(ids.map((id) => this.engine.removeContainer(id).catch(() => {})));
      }
    }
    for (const [service, ids] of running) {
      await Promise.all(ids.map((id) => putInRotation(this.engine, service, id).catch(() => {})));
    }
  }
}

/** `kept` of a deployment's spec: the stopped containers the two-phase finish keeps, per service. */
export function keptOf(spec: Record<string, unknown> | null): Record<string, string[]> {
  const kept = (spec as { kept?: unknown } | null)?.kept;
  if (!kept || typeof kept !== "object") return {};
  return Object.fromEntries(
    Object.entries(kept as Record<string, unknown>).filter((e): e is [string, string[]] => Array.isArray(e[1])),
  );
}
