import type { ContainerState, Engine } from "../engine/index.js";
import { sleep } from "./abort.js";
import { ComposeError } from "./errors.js";

/** Compose's own labels; containers are found by them because v1 and v2 name containers differently. */
export const COMPOSE_LABEL = {
  project: "com.docker.compose.project",
  service: "com.docker.compose.service",
  oneoff: "com.docker.compose.oneoff",
  network: "com.docker.compose.network",
} as const;

/** What to wait for, and how to explain a service that never got ready. */
export interface ReadinessOptions {
  engine: Engine;
  project: string;
  /** Services that `up` started. */
  services: string[];
  timeoutSeconds: number;
  signal?: AbortSignal;
  /** Last log lines of a service, for the error message. */
  logsOf(service: string): Promise<string[]>;
  log?(line: string): void;
  /** Poll interval; short because stacks of tests start in seconds. */
  intervalMs?: number;
}

type Verdict =
  | { state: "ready" }
  | { state: "pending"; why: string }
  | { state: "failed"; why: string; container: ContainerState };

/**
 * Waits until every service is ready, read from the engine: a service with a healthcheck
 * must be `healthy`; one without must be running (or have exited 0: a one-shot job such as a
 * migration). Fails at once when a container is `unhealthy` or exited non-zero, and at the
 * timeout otherwise, naming the service with its health log and its last log lines.
 */
export async function waitForServices(opts: ReadinessOptions): Promise<void> {
  const started = Date.now();
  const deadline = started + opts.timeoutSeconds * 1000;
  const pending = new Set(opts.services);
  let last: Record<string, string> = {};
  while (pending.size > 0) {
    const containers = await projectContainers(opts.engine, opts.project);
    last = {};
    for (const service of [...pending]) {
      const ids = containers.get(service) ?? [];
      const verdict = await judge(opts.engine, ids);
      if (verdict.state === "ready") {
        pending.delete(service);
        opts.log?.(`service ${service} ready after ${seconds(started)}s`);
      } else if (verdict.state === "failed") {
        throw await notReady(
          opts,
          "SLIPWAY_E_COMPOSE_UNHEALTHY",
          service,
          `${verdict.why} after ${seconds(started)}s`,
          verdict.container,
        );
      } else {
        last[service] = verdict.why;
      }
    }
    if (pending.size === 0) break;
    if (Date.now() >= deadline) {
      const service = [...pending][0] ?? "";
      const ids = containers.get(service) ?? [];
      const state = ids[0] ? await opts.engine.inspectContainer(ids[0]).catch(() => undefined) : undefined;
      throw await notReady(
        opts,
        "SLIPWAY_E_COMPOSE_WAIT_TIMEOUT",
        service,
        `not ready within ${opts.timeoutSeconds}s (${last[service] ?? "no container"})${pending.size > 1 ? `; also not ready: ${[...pending].slice(1).join(", ")}` : ""}`,
        state,
      );
    }
    await sleep(Math.min(opts.intervalMs ?? 500, Math.max(0, deadline - Date.now())), opts.signal);
  }
}

/** Non-one-off containers of a project, by service. */
export async function projectContainers(engine: Engine, project: string): Promise<Map<string, string[]>> {
  const resources = await engine.listResources([`${COMPOSE_LABEL.project}=${project}`]);
  const byService = new Map<string, string[]>();
  for (const r of resources) {
    if (r.kind !== "container" || r.labels[COMPOSE_LABEL.oneoff] === "True") continue;
    const service = r.labels[COMPOSE_LABEL.service];
    if (!service) continue;
    byService.set(service, [...(byService.get(service) ?? []), r.id]);
  }
  return byService;
}

async function judge(engine: Engine, ids: string[]): Promise<Verdict> {
  if (ids.length === 0) return { state: "pending", why: "no container yet" };
  for (const id of ids) {
    const c = await engine.inspectContainer(id);
    const hasHealth = c.health !== undefined && c.health !== "none";
    if (c.health === "unhealthy") return { state: "failed", why: "is unhealthy", container: c };
    if (!c.running) {
      if (!hasHealth && c.exitCode === 0) continue;
      return { state: "failed", why: `exited with code ${c.exitCode}`, container: c };
    }
    if (hasHealth && c.health !== "healthy") return { state: "pending", why: `health ${c.health}` };
  }
  return { state: "ready" };
}

async function notReady(
  opts: ReadinessOptions,
  code: "SLIPWAY_E_COMPOSE_UNHEALTHY" | "SLIPWAY_E_COMPOSE_WAIT_TIMEOUT",
  service: string,
  what: string,
  state: ContainerState | undefined,
): Promise<ComposeError> {
  const lines = [`service "${service}" ${what}`];
  const health = state?.healthLog ?? [];
  if (health.length > 0) lines.push("  health log:", ...health.map((l) => `    ${l.replace(/\n/g, "\n    ")}`));
  const logs = await opts.logsOf(service).catch((err: Error) => [`(could not read logs: ${err.message})`]);
  lines.push(`  last log lines of ${service}:`, ...(logs.length > 0 ? logs.map((l) => `    ${l}`) : ["    (none)"]));
  return new ComposeError(code, lines.join("\n"), { service });
}

function seconds(since: number): string {
  return ((Date.now() - since) / 1000).toFixed(1);
}
