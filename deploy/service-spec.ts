import { parseYaml } from "../core/index.js";
import type { EnvironmentDef } from "../pipelines/index.js";
import { DeployError } from "./errors.js";
import { resolveServiceSettings, type UpdateSettings } from "./settings.js";

/** What one service of the target stack should look like (from `compose config`, pure). */
export interface ServiceSpec {
  name: string;
  /** Compose's own config hash (`config --hash`), equal to the containers' config-hash label. */
  hash: string;
  image?: string;
  replicas: number;
  dependsOn: string[];
  /** Published host ports with a fixed number ("8080:80"); engine-chosen ones are not listed. */
  fixedHostPorts: string[];
  containerName?: string;
  health?: HealthSettings;
  update: UpdateSettings;
  rollback: UpdateSettings;
}

/** A service's healthcheck in seconds, Docker's defaults filled in. */
export interface HealthSettings {
  intervalSeconds: number;
  timeoutSeconds: number;
  retries: number;
  startPeriodSeconds: number;
}

/**
 * Turns the resolved compose model (`compose config` output, v1 or v2 shape) and the service
 * hashes into service specs. Refuses what a rollout cannot do: unknown `deploy:` keys, fixed
 * host ports or `container_name` where two containers of a service would have to coexist.
 */
export function readServiceSpecs(
  configYaml: string,
  hashes: Record<string, string>,
  env: Pick<EnvironmentDef, "update" | "rollback" | "strategy">,
): ServiceSpec[] {
  const doc = (parseYaml(configYaml) ?? {}) as { services?: Record<string, Record<string, unknown>> };
  const specs: ServiceSpec[] = [];
  for (const [name, svc] of Object.entries(doc.services ?? {})) {
    // A service with `profiles:` is inactive: Slipway enables no profile, so `up` never starts
    // it (a deploy hook's one-off `compose run` may). It is no part of the rollout.
    if (Array.isArray(svc.profiles) && svc.profiles.length > 0) continue;
    const settings = resolveServiceSettings(name, svc.deploy, env);
    const spec: ServiceSpec = {
      name,
      hash: hashes[name] ?? "",
      ...(typeof svc.image === "string" ? { image: svc.image } : {}),
      replicas: settings.replicas,
      dependsOn: dependsOn(svc.depends_on),
      fixedHostPorts: fixedPorts(svc.ports),
      ...(typeof svc.container_name === "string" ? { containerName: svc.container_name } : {}),
      ...healthOf(svc.healthcheck),
      update: settings.update,
      rollback: settings.rollback,
    };
    if (env.strategy === "rolling") checkCoexistence(spec);
    if (env.strategy === "blue-green") checkColours(spec);
    specs.push(spec);
  }
  return specs;
}

/** Two containers of a service run at once under start-first or with several replicas. */
function checkCoexistence(spec: ServiceSpec): void {
  const startFirst = spec.update.order === "start-first" || spec.rollback.order === "start-first";
  if (spec.fixedHostPorts.length > 0 && (startFirst || spec.replicas > 1)) {
    throw new DeployError(
      "SLIPWAY_E_DEPLOY_FIXED_PORT",
      `service ${spec.name} publishes fixed host port(s) ${spec.fixedHostPorts.join(", ")}: two of its containers cannot run at once, so ${spec.replicas > 1 ? `${spec.replicas} replicas` : "start-first"} is impossible. Put a load balancer in front and publish only its port, or set order: stop-first (and 1 replica) explicitly`,
    );
  }
  if (spec.containerName !== undefined && (startFirst || spec.replicas > 1)) {
    throw new DeployError(
      "SLIPWAY_E_DEPLOY_CONTAINER_NAME",
      `service ${spec.name} sets container_name "${spec.containerName}": it cannot have several replicas or be replaced start-first; remove container_name or use order: stop-first with 1 replica`,
    );
  }
}

/** Blue and green run side by side: neither may claim a fixed host port or container name. */
function checkColours(spec: ServiceSpec): void {
  if (spec.fixedHostPorts.length > 0) {
    throw new DeployError(
      "SLIPWAY_E_DEPLOY_FIXED_PORT",
      `service ${spec.name} publishes fixed host port(s) ${spec.fixedHostPorts.join(", ")}: under blue-green both colours run at once, so only Slipway's proxy publishes a port (blue_green.publish); remove the port or let the engine choose it ("127.0.0.1::80")`,
    );
  }
  if (spec.containerName !== undefined) {
    throw new DeployError(
      "SLIPWAY_E_DEPLOY_CONTAINER_NAME",
      `service ${spec.name} sets container_name "${spec.containerName}": under blue-green both colours run at once; remove container_name`,
    );
  }
}

function dependsOn(raw: unknown): string[] {
  if (Array.isArray(raw)) return raw.map(String);
  if (raw && typeof raw === "object") return Object.keys(raw);
  return [];
}

/** `"8080:80"`, `"127.0.0.1:8080:80"`, `{published: 8080, target: 80}` are fixed; `"127.0.0.1::80"`, `"80"` are not. */
export function fixedPorts(raw: unknown): string[] {
  if (!Array.isArray(raw)) return [];
  const out: string[] = [];
  for (const port of raw) {
    if (typeof port === "object" && port !== null) {
      const published = (port as { published?: unknown }).published;
      if (published !== undefined && published !== null && String(published) !== "" && String(published) !== "0") {
        out.push(String(published));
      }
      continue;
    }
    const text = String(port).replace(/\/(tcp|udp|sctp)$/, "");
    // Strip an IPv6 host in brackets, then split host:published:target.
    const parts = text.replace(/^\[[^\]]*\]:/, "x:").split(":");
    const published = parts.length === 3 ? parts[1] : parts.length === 2 ? parts[0] : "";
    if (published && published !== "0") out.push(published);
  }
  return out;
}

function seconds(raw: unknown, fallback: number): number {
  if (typeof raw === "number") return raw;
  if (typeof raw !== "string") return fallback;
  const m = /^(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+(?:\.\d+)?)s)?(?:(\d+)ms)?$/.exec(raw.trim());
  if (!m) return fallback;
  return Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0) + Number(m[4] ?? 0) / 1000;
}

function healthOf(raw: unknown): { health?: HealthSettings } {
  if (!raw || typeof raw !== "object") return {};
  const h = raw as Record<string, unknown>;
  if (h.disable === true) return {};
  const test = h.test;
  if (test === undefined || (Array.isArray(test) && test[0] === "NONE")) return {};
  // Docker's defaults: 30s interval, 30s timeout, 3 retries, no start period.
  return {
    health: {
      intervalSeconds: seconds(h.interval, 30),
      timeoutSeconds: seconds(h.timeout, 30),
      retries: typeof h.retries === "number" ? h.retries : 3,
      startPeriodSeconds: seconds(h.start_period, 0),
    },
  };
}

/**
 * How long a new container may take to become healthy before it counts as failed: Docker
 * itself reports it unhealthy after the start period plus `retries` failed probes, so this is
 * a progress deadline derived from the healthcheck, not a wall-clock guess. A service without
 * a healthcheck is ready once running.
 */
export function progressDeadlineSeconds(health: HealthSettings | undefined): number {
  if (!health) return 30;
  return health.startPeriodSeconds + (health.retries + 1) * (health.intervalSeconds + health.timeoutSeconds) + 10;
}
