import type { UpdateOverrides } from "../pipelines/index.js";
import { parseDuration } from "../pipelines/index.js";
import { DeployError } from "./errors.js";

/** How one service is updated (or rolled back): the compose spec's `update_config` model. */
export interface UpdateSettings {
  /** Replicas replaced at a time; 0 means all at once (as in the compose spec). */
  parallelism: number;
  delaySeconds: number;
  failureAction: "rollback" | "pause" | "continue";
  monitorSeconds: number;
  /** Fraction of the service's replicas that may fail before the failure action runs. */
  maxFailureRatio: number;
  order: "start-first" | "stop-first";
  /** Slipway's own: seconds between taking an old container out of rotation and stopping it. */
  drainSeconds: number;
}

/** Swarm's effective defaults for `update_config`; `rollback_config` has the same ones. */
export const SWARM_DEFAULTS: Readonly<UpdateSettings> = Object.freeze({
  parallelism: 1,
  delaySeconds: 0,
  failureAction: "pause",
  monitorSeconds: 5,
  maxFailureRatio: 0,
  order: "stop-first",
  drainSeconds: 2,
});

/** Keys of `deploy:` and what happens to each on a plain Docker host. */
const HONOURED = ["replicas", "update_config", "rollback_config", "mode"];
const CONFIG_KEYS: Record<string, keyof UpdateSettings> = {
  parallelism: "parallelism",
  delay: "delaySeconds",
  failure_action: "failureAction",
  monitor: "monitorSeconds",
  max_failure_ratio: "maxFailureRatio",
  order: "order",
};

export interface ServiceDeploySettings {
  replicas: number;
  update: UpdateSettings;
  rollback: UpdateSettings;
}

/**
 * Reads a service's `deploy:` section (as `compose config` prints it) and merges, in order:
 * Swarm's defaults, the compose file's `update_config` / `rollback_config`, then the
 * environment's `update:` / `rollback:` from slipway.yml. Keys a plain Docker host would
 * silently ignore are refused, so nobody believes they are in force.
 */
export function resolveServiceSettings(
  service: string,
  deploy: unknown,
  env: { update: UpdateOverrides; rollback: UpdateOverrides },
): ServiceDeploySettings {
  const section = asMap(deploy ?? {}, `services.${service}.deploy`);
  for (const key of Object.keys(section)) {
    if (!HONOURED.includes(key)) {
      throw new DeployError(
        "SLIPWAY_E_DEPLOY_COMPOSE_KEY",
        `services.${service}.deploy.${key} is not honoured on a plain Docker host (Slipway reads only ${HONOURED.join(", ")}); remove it${key === "resources" ? " or use the service-level mem_limit / cpus" : key === "restart_policy" ? " or use the service-level restart:" : ""}`,
      );
    }
  }
  if (section.mode !== undefined && section.mode !== "replicated") {
    throw new DeployError(
      "SLIPWAY_E_DEPLOY_NOT_IMPLEMENTED",
      `services.${service}.deploy.mode "${String(section.mode)}" is not implemented (only "replicated")`,
    );
  }
  let replicas = 1;
  if (section.replicas !== undefined) {
    if (!Number.isInteger(section.replicas) || (section.replicas as number) < 0) {
      throw bad(`services.${service}.deploy.replicas must be a whole number >= 0, got ${String(section.replicas)}`);
    }
    replicas = section.replicas as number;
  }
  const update = merge(
    SWARM_DEFAULTS,
    readConfig(section.update_config, `services.${service}.deploy.update_config`, "update"),
    env.update,
  );
  const rollback = merge(
    SWARM_DEFAULTS,
    readConfig(section.rollback_config, `services.${service}.deploy.rollback_config`, "rollback"),
    env.rollback,
  );
  return { replicas, update, rollback };
}

function merge(base: Readonly<UpdateSettings>, ...layers: Partial<UpdateSettings>[]): UpdateSettings {
  const out = { ...base };
  for (const layer of layers) {
    for (const [key, value] of Object.entries(layer)) {
      if (value !== undefined) (out as Record<string, unknown>)[key] = value;
    }
  }
  return out;
}

function readConfig(raw: unknown, path: string, kind: "update" | "rollback"): Partial<UpdateSettings> {
  if (raw === undefined || raw === null) return {};
  const map = asMap(raw, path);
  const out: Partial<UpdateSettings> = {};
  for (const [key, value] of Object.entries(map)) {
    const field = CONFIG_KEYS[key];
    if (!field) {
      throw new DeployError(
        "SLIPWAY_E_DEPLOY_COMPOSE_KEY",
        `${path}.${key} is not a key Slipway knows (known: ${Object.keys(CONFIG_KEYS).join(", ")})`,
      );
    }
    (out as Record<string, unknown>)[field] = readValue(field, value, `${path}.${key}`, kind);
  }
  return out;
}

function readValue(field: keyof UpdateSettings, value: unknown, path: string, kind: "update" | "rollback"): unknown {
  switch (field) {
    case "parallelism":
      if (Number.isInteger(value) && (value as number) >= 0) return value;
      throw bad(`${path} must be a whole number >= 0 (0 = all at once), got ${String(value)}`);
    case "delaySeconds":
    case "monitorSeconds":
    case "drainSeconds": {
      const parsed = typeof value === "string" || typeof value === "number" ? parseDuration(value) : undefined;
      if (parsed?.ok) return parsed.seconds;
      throw bad(`${path} must be a duration like "10s" or "1m30s", got ${JSON.stringify(value)}`);
    }
    case "maxFailureRatio":
      if (typeof value === "number" && value >= 0 && value <= 1) return value;
      throw bad(`${path} must be a number from 0 to 1, got ${String(value)}`);
    case "order":
      if (value === "start-first" || value === "stop-first") return value;
      throw bad(`${path} must be "start-first" or "stop-first", got ${String(value)}`);
    case "failureAction": {
      const allowed = kind === "update" ? ["rollback", "pause", "continue"] : ["pause", "continue"];
      if (allowed.includes(value as string)) return value;
      throw bad(
        `${path} must be one of ${allowed.join(", ")}, got ${String(value)}${kind === "rollback" && value === "rollback" ? " (a rollback is never rolled back)" : ""}`,
      );
    }
  }
}

function asMap(value: unknown, path: string): Record<string, unknown> {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) return value as Record<string, unknown>;
  throw bad(`${path} must be a map`);
}

function bad(message: string): DeployError {
  return new DeployError("SLIPWAY_E_DEPLOY_BAD_VALUE", message);
}
