import type {
  DeploymentBatchEventJson,
  DeploymentDetailJson,
  DeploymentEventJson,
  DeploymentJson,
  EnvironmentLockEventJson,
} from "../../api-schema/index.js";

/*
 * How the environments pages fold a deployment message of `/api/events` into what they show
 * (pure, unit-tested): the same answers the daemon's own reads would give.
 */

/** A deployment message of `/api/events`, by its SSE `event:` name. */
export type DeploymentMessage =
  | { type: "deployment"; data: DeploymentEventJson }
  | { type: "batch"; data: DeploymentBatchEventJson }
  | { type: "lock"; data: EnvironmentLockEventJson };

/** The environment a message is about. */
export function environmentOf(m: DeploymentMessage): { repository: string; environment: string } {
  return m.type === "deployment" ? m.data.deployment : m.data;
}

/** `history` (newest first, at most `limit`) with a deployment as just recorded: replaced in place, or new on top. */
export function withDeployment(
  history: DeploymentDetailJson[],
  d: DeploymentJson,
  limit: number,
): DeploymentDetailJson[] {
  if (history.some((h) => h.id === d.id)) return history.map((h) => (h.id === d.id ? { ...h, ...d } : h));
  return [{ ...d, batches: [] }, ...history].sort((a, b) => b.createdAt - a.createdAt).slice(0, limit);
}

/** `history` with a batch as just recorded, on its deployment, in `seq` order. */
export function withBatch(
  history: DeploymentDetailJson[],
  batch: DeploymentBatchEventJson["batch"],
): DeploymentDetailJson[] {
  return history.map((h) =>
    h.id === batch.deploymentId
      ? { ...h, batches: [...h.batches.filter((b) => b.seq !== batch.seq), batch].sort((a, b) => a.seq - b.seq) }
      : h,
  );
}

/** Whether `d` is newer than (or the same as) the deployment a page shows as current. */
export function isCurrent(d: DeploymentJson, current: DeploymentJson | null | undefined): boolean {
  return !current || current.id === d.id || d.createdAt >= current.createdAt;
}

/** What `confirm` / `rollback` the newest deployment offers (as the daemon's environment summary says). */
export function actionsFor(d: DeploymentJson): ("confirm" | "rollback")[] {
  return d.status === "paused" || d.status === "interrupted" ? ["confirm", "rollback"] : [];
}
