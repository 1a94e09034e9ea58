import { DEFAULT_KEEP_VERSIONS } from "../pipelines/index.js";
import type { DeploymentRow, DeploymentStore, EnvironmentKey } from "../store/index.js";
import type { EnvironmentCompose } from "./compose-target.js";
import { drainAndRemove, putInRotation } from "./drain.js";
import { DeployError } from "./errors.js";
import { watchContainers } from "./health.js";
import { keptOf } from "./keep.js";
import type { RolloutContext } from "./rollout.js";
import type { ServiceSpec } from "./service-spec.js";
import { serviceContainerIds } from "./stack-state.js";

/**
 * The two-phase finish after its rollout (deploy/keep.ts keeps the containers): `confirm`
 * removes the kept containers, `rollback` starts them again, and `keep_versions` bounds how
 * far back `rollback ENV VERSION` may go.
 */

export function awaitingConfirm(row: DeploymentRow): DeployError {
  return new DeployError(
    "SLIPWAY_E_DEPLOY_AWAITING_CONFIRM",
    `${row.repository}/${row.environment} is awaiting confirmation of ${row.version} (deployment ${row.id}; the replaced containers of ${row.previousVersion ?? "the previous version"} are kept stopped): run \`slipway confirm ${row.environment}\` to keep ${row.version}, or \`slipway rollback ${row.environment}\` to restart ${row.previousVersion ?? "the previous version"}, first; nothing was changed`,
  );
}

/** `confirm` of a deployment awaiting it: the kept containers are removed; the deployment is a success. */
export async function confirmKept(
  row: DeploymentRow,
  opts: { engine: RolloutContext["engine"]; records: DeploymentStore; actor?: string; log?: (l: string) => void },
): Promise<DeploymentRow> {
  const now = await opts.records.getDeployment(row.id);
  if (now?.status !== "awaiting_confirm") {
    throw new DeployError(
      "SLIPWAY_E_DEPLOY_NOT_PAUSED",
      `${row.repository}/${row.environment}: deployment ${row.id} is no longer awaiting confirmation (${now?.status ?? "gone"})`,
    );
  }
  const ids = Object.values(keptOf(now.spec)).flat();
  // removeContainer forces: one started by hand since is stopped and removed too.
  await Promise.all(ids.map((id) => opts.engine.removeContainer(id)));
  opts.log?.(`confirmed ${now.version}: removed ${ids.length} kept container(s)`);
  const { kept: _kept, ...spec } = (now.spec ?? {}) as Record<string, unknown>;
  return (
    (await opts.records.updateDeployment(now.id, {
      status: "success",
      spec,
      outcome: `${now.outcome ?? "deployed"}; confirmed by ${opts.actor ?? "an operator"}: removed ${ids.length} kept container(s)`,
    })) ?? now
  );
}

/**
 * Starts the kept containers of each service, waits until they are healthy (the service's
 * `rollback_config.monitor`), puts them back in rotation, then drains and removes the
 * service's other (new) containers. A service whose kept containers do not all come up keeps
 * its new ones, and its broken kept ones are removed: the caller then rolls back by compose.
 */
export async function restartKept(
  ctx: RolloutContext,
  compose: EnvironmentCompose,
  specs: ServiceSpec[],
  kept: Record<string, string[]>,
): Promise<{ allUp: boolean; count: number; failed: number }> {
  const bySpec = new Map(specs.map((s) => [s.name, s]));
  let count = 0;
  let failed = 0;
  for (const [service, ids] of Object.entries(kept)) {
    const started = Date.now();
    const spec = bySpec.get(service);
    const present: string[] = [];
    for (const id of ids) {
      const ok = await ctx.engine.startContainer(id).then(
        () => true,
        () => false,
      );
      if (ok) present.push(id);
      else failed++;
    }
    ctx.log(`${service}: started kept container(s) ${present.map((id) => id.slice(0, 12)).join(", ")}`);
    const verdicts = await watchContainers(
      ctx.engine,
      present,
      spec?.health,
      spec?.rollback.monitorSeconds ?? 0,
      ctx.signal,
    );
    const up = verdicts.filter((v) => v.state === "healthy" || v.state === "running").map((v) => v.id);
    const down = verdicts.filter((v) => !up.includes(v.id)).map((v) => v.id);
    failed += down.length;
    await Promise.all(up.map((id) => putInRotation(ctx.engine, service, id)));
    const fresh = (await serviceContainerIds(ctx.engine, compose.target.project, service)).filter(
      (id) => !ids.includes(id),
    );
    const allUp = down.length === 0 && present.length === ids.length;
    if (allUp) {
      await drainAndRemove(ctx.engine, service, fresh, spec?.rollback.drainSeconds ?? 0, {
        log: ctx.log,
        signal: ctx.signal,
      });
    } else if (down.length > 0) {
      await drainAndRemove(ctx.engine, service, down, 0, { log: ctx.log, stopGraceSeconds: 1 });
    }
    count += up.length;
    await ctx.onBatch?.({
      phase: "rollback",
      service,
      batch: 1,
      batches: 1,
      added: up,
      removed: allUp ? fresh : down,
      status: allUp ? "success" : "failed",
      health: verdicts.map((v) => ({ id: v.id, state: v.state, detail: v.detail })),
      startedAt: started,
      finishedAt: Date.now(),
    });
  }
  return { allUp: failed === 0, count, failed };
}

/**
 * `keep_versions` in force: the one recorded by the deployment that serves (the newest success
 * or awaiting confirmation), else the environment's, else the default.
 */
export function keepVersionsOf(history: DeploymentRow[], configured: number | undefined): number {
  const serving = history.find((d) => d.status === "success" || d.status === "awaiting_confirm");
  const recorded = (serving?.spec as { keepVersions?: unknown } | null)?.keepVersions;
  if (typeof recorded === "number" && recorded >= 1) return recorded;
  return configured ?? DEFAULT_KEEP_VERSIONS;
}

/**
 * Pure: the versions `rollback ENV VERSION` may go to, newest first: the `keep` most recent
 * distinct versions deployed successfully before the one serving now (history newest first).
 */
export function rollbackableVersions(history: DeploymentRow[], keep: number): string[] {
  const serving = history.find((d) => d.status === "success" || d.status === "awaiting_confirm")?.version;
  const out: string[] = [];
  for (const d of history) {
    if (out.length >= keep) break;
    if (d.status !== "success" || d.version === serving || out.includes(d.version)) continue;
    out.push(d.version);
  }
  return out;
}

/** Refuses a rollback to a version that was deployed successfully but is older than `keep_versions` allows. */
export function refuseExpiredRollback(
  history: DeploymentRow[],
  version: string,
  keep: number,
  key: EnvironmentKey,
): void {
  const allowed = rollbackableVersions(history, keep);
  const serving = history.find((d) => d.status === "success" || d.status === "awaiting_confirm")?.version;
  if (allowed.includes(version) || version === serving) return;
  if (!history.some((d) => d.version === version && d.status === "success")) return;
  throw new DeployError(
    "SLIPWAY_E_DEPLOY_ROLLBACK_TOO_OLD",
    `${key.repository}/${key.environment} keeps the last ${keep} version(s) for rollback (keep_versions: ${keep}): ${allowed.join(", ") || "none"}; ${version} is older. Deploy it explicitly instead (\`slipway deploy ${key.environment} ${version}\`: its image is pulled or must be present), or raise keep_versions; nothing was changed`,
  );
}
