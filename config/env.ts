import { createHash } from "node:crypto";
import { resolve } from "node:path";
import type { ConfigErrorCode, ConfigProblem } from "./errors.js";
import { Secret } from "./secret.js";
import type { TokenEntry } from "./sections.js";
import {
  type ListenAddress,
  type Parsed,
  parseBoolean,
  parseConfigDuration,
  parseInteger,
  parseListen,
  parseStoreUrl,
  RUNNER_ID,
} from "./values.js";

/**
 * `SLIPWAY_*` environment overrides. They win over the file (containers and systemd units set
 * them), and are validated with the same parsers, each problem naming its variable. An empty
 * variable counts as unset, because `docker run -e NAME=` and compose's `NAME: ""` produce
 * them by accident far more often than on purpose.
 */

/** Variable → the config key it overrides; `docs/config.md` lists the same table. */
export const ENV_OVERRIDES = {
  SLIPWAY_LISTEN: "listen",
  SLIPWAY_DATA_DIR: "data_dir",
  SLIPWAY_STORE_URL: "store",
  SLIPWAY_RUNNER_ID: "runner_id",
  SLIPWAY_CONCURRENCY: "concurrency",
  SLIPWAY_LOG_RETENTION: "log_retention",
  SLIPWAY_SHUTDOWN_GRACE: "shutdown_grace",
  SLIPWAY_PUBLIC_READ: "public_read",
  SLIPWAY_API_TOKEN: "api_tokens",
} as const;

/** Shorter API tokens are guessable; refusing them at start-up is cheaper than a breach. */
export const MIN_API_TOKEN_LENGTH = 16;

/** The name `verifyToken` reports for the token from `SLIPWAY_API_TOKEN`; `$` keeps it apart from file names. */
export const ENV_TOKEN_NAME = "$SLIPWAY_API_TOKEN";

export interface ScalarSettings {
  listen?: ListenAddress;
  dataDir?: string;
  store?: Secret;
  runnerId?: string;
  concurrency?: number;
  logRetentionSeconds?: number;
  shutdownGraceSeconds?: number;
  publicRead?: boolean;
}

export interface EnvSettings extends ScalarSettings {
  token?: TokenEntry;
}

export function readEnv(env: NodeJS.ProcessEnv, cwd: string): { settings: EnvSettings; problems: ConfigProblem[] } {
  const problems: ConfigProblem[] = [];
  const settings: EnvSettings = {};
  const take = <T>(name: keyof typeof ENV_OVERRIDES, parse: (text: string) => Parsed<T>): T | undefined => {
    const text = env[name];
    if (text === undefined || text === "") return undefined;
    const parsed = parse(text);
    if (parsed.ok) return parsed.value;
    const code: ConfigErrorCode = "SLIPWAY_E_CONFIG_BAD_ENV";
    problems.push({ file: `$${name}`, path: ENV_OVERRIDES[name], code, message: `${name}: ${parsed.reason}` });
    return undefined;
  };
  settings.listen = take("SLIPWAY_LISTEN", parseListen);
  settings.dataDir = take("SLIPWAY_DATA_DIR", (text) => ({ ok: true, value: resolve(cwd, text) }));
  settings.store = take("SLIPWAY_STORE_URL", (text) => {
    const parsed = parseStoreUrl(text);
    // Unlike the file, the environment may carry a password in the URL; it stays a Secret.
    return parsed.ok ? { ok: true, value: new Secret(text, "env SLIPWAY_STORE_URL") } : parsed;
  });
  settings.runnerId = take("SLIPWAY_RUNNER_ID", (text) =>
    RUNNER_ID.test(text) ? { ok: true, value: text } : { ok: false, reason: `"${text}" is not a valid runner id` },
  );
  settings.concurrency = take("SLIPWAY_CONCURRENCY", (text) => withValue(parseInteger(text, 1), text));
  settings.logRetentionSeconds = take("SLIPWAY_LOG_RETENTION", parseConfigDuration);
  settings.shutdownGraceSeconds = take("SLIPWAY_SHUTDOWN_GRACE", parseConfigDuration);
  settings.publicRead = take("SLIPWAY_PUBLIC_READ", (text) => withValue(parseBoolean(text), text));
  settings.token = take("SLIPWAY_API_TOKEN", (text) =>
    text.length < MIN_API_TOKEN_LENGTH
      ? { ok: false, reason: `an API token must have at least ${MIN_API_TOKEN_LENGTH} characters` }
      : // Only the digest is kept, so a heap dump or a logged config holds no usable token.
        { ok: true, value: { name: ENV_TOKEN_NAME, sha256: createHash("sha256").update(text).digest() } },
  );
  for (const key of Object.keys(settings) as (keyof EnvSettings)[]) {
    if (settings[key] === undefined) delete settings[key];
  }
  return { settings, problems };
}

/** Adds the offending text to a reason that does not already quote it. */
function withValue<T>(parsed: Parsed<T>, text: string): Parsed<T> {
  return parsed.ok ? parsed : { ...parsed, reason: `${parsed.reason}, got "${text}"` };
}
