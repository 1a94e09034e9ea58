import { COMPOSE_LABEL } from "../compose/index.js";
import { type Engine, LABEL } from "../engine/index.js";
import type { DeploymentRow, EnvironmentKey } from "../store/index.js";
import { keptOf } from "./keep.js";

const CONFIG_HASH = "com.docker.compose.config-hash";

export interface ContainerStatus {
  id: string;
  /** `running`, `exited (1)`, ...; `kept` for a stopped container the two-phase finish keeps until `confirm`. */
  state: string;
  health: "starting" | "healthy" | "unhealthy" | "none";
  image: string | null;
  /** The version whose configuration this container runs; null when no recorded deployment had it. */
  version: string | null;
}

export interface ServiceStatus {
  service: string;
  /** The version every running container of the service is at, or null when they differ or none is known. */
  version: string | null;
  /** How many containers run, and how many of those are healthy (or running without a healthcheck). */
  running: number;
  ready: number;
  containers: ContainerStatus[];
}

/**
 * What an environment runs, read from the engine (never from the store's idea of it): its
 * containers by the `io.slipway.environment` label Slipway gives every service, grouped by
 * compose service. A container's version is the newest recorded deployment whose spec had
 * the container's compose config hash for that service, so a database that did not change
 * across versions is reported at the newest version that still configures it that way.
 */
export async function readEnvironmentStatus(
  engine: Engine,
  key: EnvironmentKey,
  history: DeploymentRow[],
): Promise<ServiceStatus[]> {
  const resources = await engine.listResources([`${LABEL.environment}=${key.repository}/${key.environment}`]);
  const byService = new Map<string, ContainerStatus[]>();
  const current = history[0];
  const kept = new Set(current?.status === "awaiting_confirm" ? Object.values(keptOf(current.spec)).flat() : []);
  for (const r of resources) {
    if (r.kind !== "container" || r.labels[COMPOSE_LABEL.oneoff] === "True") continue;
    const service = r.labels[COMPOSE_LABEL.service];
    if (!service) continue;
    const c = await engine.inspectContainer(r.id).catch(() => undefined);
    if (!c) continue;
    const hash = r.labels[CONFIG_HASH] ?? "";
    const status: ContainerStatus = {
      id: r.id,
      state: c.running ? "running" : kept.has(r.id) ? "kept" : `exited (${c.exitCode})`,
      health: c.health ?? "none",
      image: c.image ?? null,
      version: versionOfHash(history, service, hash),
    };
    byService.set(service, [...(byService.get(service) ?? []), status]);
  }
  return [...byService.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([service, containers]) => {
      const live = containers.filter((c) => c.state === "running");
      const versions = new Set(live.map((c) => c.version));
      const only = versions.size === 1 ? [...versions][0] : undefined;
      return {
        service,
        version: only ?? null,
        running: live.length,
        ready: live.filter((c) => c.health === "healthy" || c.health === "none").length,
        containers,
      };
    });
}

/**
 * Pure: the newest successful deployment (history is newest first) whose recorded hashes give
 * `service` this hash; failing that, the newest of any outcome (a paused or interrupted
 * rollout's new containers). A rolled-back version never claims a database it left untouched.
 */
export function versionOfHash(history: DeploymentRow[], service: string, hash: string): string | null {
  if (!hash) return null;
  const has = (d: DeploymentRow) => (d.spec as { hashes?: Record<string, string> } | null)?.hashes?.[service] === hash;
  return (history.find((d) => d.status === "success" && has(d)) ?? history.find(has))?.version ?? null;
}
