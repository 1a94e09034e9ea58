import { createHash, timingSafeEqual } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { hostname } from "node:os";
import { join, resolve } from "node:path";
import { deepFreeze } from "../core/index.js";
import { readEnv } from "./env.js";
import { ConfigError, type ConfigProblem } from "./errors.js";
import { PLAIN_URL_SOURCE } from "./notifications.js";
import { type FileSettings, readConfigText } from "./read-file.js";
import type { TokenEntry } from "./sections.js";
import type { ApiTokenInfo, Config } from "./types.js";

/** Looked for in the working directory when neither `--config` nor `$SLIPWAY_CONFIG` names a file. */
export const DEFAULT_CONFIG_FILE = "slipway.config.yml";

export const DEFAULTS = {
  listen: { host: "127.0.0.1", port: 8080 },
  dataDir: "./.slipway-data",
  concurrency: 2,
  logRetentionSeconds: 30 * 86400,
  shutdownGraceSeconds: 30,
  publicRead: true,
} as const;

export interface LoadConfigOptions {
  /** `--config`; relative to `cwd`. A missing explicit file is an error, never "use defaults". */
  file?: string;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** For the default runner id; injectable so tests do not depend on the machine. */
  hostname?: string;
  /**
   * The runner id when neither `runner_id` nor `$SLIPWAY_RUNNER_ID` sets one, given the data
   * dir; default `serve@<hostname>`. `slipway serve` passes `persistentRunnerId`, which keeps
   * it in the data dir (it writes a file, so loading alone never does).
   */
  defaultRunnerId?: (dataDir: string) => string;
}

/**
 * Loads, validates and freezes the configuration of `slipway serve`: defaults, then the file,
 * then `SLIPWAY_*` variables. Validation happens once, here; everything after start-up reads
 * the frozen result and never re-checks. Throws `ConfigError` listing every problem at once.
 *
 * File lookup: `file`, else `$SLIPWAY_CONFIG`, else `slipway.config.yml` in `cwd` if it exists,
 * else none (defaults and environment only).
 */
export function loadConfig(options: LoadConfigOptions): Config {
  const { env, cwd } = options;
  const explicit = options.file ?? (env.SLIPWAY_CONFIG || undefined);
  const implicit = join(cwd, DEFAULT_CONFIG_FILE);
  const file = explicit !== undefined ? resolve(cwd, explicit) : existsSync(implicit) ? implicit : undefined;

  const problems: ConfigProblem[] = [];
  let fileSettings: Partial<FileSettings> = {};
  if (file !== undefined) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (err) {
      const reason = (err as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (err as Error).message;
      const problem: ConfigProblem = {
        file,
        line: 1,
        column: 1,
        path: "",
        code: "SLIPWAY_E_CONFIG_NOT_FOUND",
        message: `cannot read the configuration file: ${reason}`,
      };
      throw new ConfigError("SLIPWAY_E_CONFIG_NOT_FOUND", [problem], { cause: err, summary: `cannot read ${file}:` });
    }
    const read = readConfigText(text, file, env);
    fileSettings = read.settings;
    problems.push(...read.problems);
  }
  const fromEnv = readEnv(env, cwd);
  problems.push(...fromEnv.problems);
  if (problems.length > 0) throw new ConfigError("SLIPWAY_E_CONFIG_INVALID", problems);

  const { token: envToken, ...envScalars } = fromEnv.settings;
  const merged = { ...fileSettings, ...envScalars };
  const tokens: TokenEntry[] = [...(fileSettings.tokens ?? []), ...(envToken ? [envToken] : [])];
  const repositories = fileSettings.repositories ?? [];
  const registries = fileSettings.registries ?? [];
  const apiTokens: ApiTokenInfo[] = tokens.map((t) => ({
    name: t.name,
    source: t === envToken ? "env" : "file",
  }));

  const dataDir = merged.dataDir ?? resolve(cwd, DEFAULTS.dataDir);
  const config: Config = {
    ...(file !== undefined ? { file } : {}),
    listen: merged.listen ?? { ...DEFAULTS.listen },
    dataDir,
    ...(merged.store !== undefined ? { store: merged.store } : {}),
    runnerId: merged.runnerId ?? options.defaultRunnerId?.(dataDir) ?? `serve@${options.hostname ?? hostname()}`,
    concurrency: merged.concurrency ?? DEFAULTS.concurrency,
    logRetentionSeconds: merged.logRetentionSeconds ?? DEFAULTS.logRetentionSeconds,
    shutdownGraceSeconds: merged.shutdownGraceSeconds ?? DEFAULTS.shutdownGraceSeconds,
    publicRead: merged.publicRead ?? DEFAULTS.publicRead,
    apiTokens,
    repositories,
    registries,
    notifications: [...(fileSettings.notifications ?? []), ...repositories.flatMap((r) => r.notifications)],
    extraSecrets: fileSettings.secrets ?? [],
    repository: (name) => repositories.find((r) => r.name === name),
    // The digests live in this closure, not on the object: a frozen config can then be logged
    // or serialised whole, and Buffers cannot be frozen anyway.
    verifyToken: (token) => verifyToken(tokens, token),
    // The API token from the environment is masked in build output too (the file's tokens are
    // digests only; store-issued ones are masked by their `slw_` shape, see secrets/).
    secrets: () => [...collectSecrets(config), ...(env.SLIPWAY_API_TOKEN ? [env.SLIPWAY_API_TOKEN] : [])],
  };
  return deepFreeze(config);
}

function verifyToken(tokens: readonly TokenEntry[], token: string): string | undefined {
  if (typeof token !== "string" || token === "") return undefined;
  const digest = createHash("sha256").update(token).digest();
  let match: string | undefined;
  // No early exit: every token is compared, so timing does not reveal which one matched.
  for (const entry of tokens) {
    if (timingSafeEqual(digest, entry.sha256) && match === undefined) match = entry.name;
  }
  return match;
}

function collectSecrets(config: Config): string[] {
  const values: string[] = [];
  for (const repo of config.repositories) {
    if (repo.webhookSecret) values.push(repo.webhookSecret.reveal());
    if (repo.credentials) values.push(repo.credentials.password.reveal());
  }
  for (const registry of config.registries) values.push(registry.password.reveal());
  for (const hook of config.notifications) {
    if (hook.secret) values.push(hook.secret.reveal());
    // A URL from a secret reference is a credential (Slack's are); one written in clear is not.
    if (hook.url.source !== PLAIN_URL_SOURCE) values.push(hook.url.reveal());
  }
  for (const secret of config.extraSecrets) values.push(secret.reveal());
  if (config.store) {
    const url = config.store.reveal();
    values.push(url);
    const password = safePassword(url);
    if (password) values.push(password, decodeURIComponent(password));
  }
  return [...new Set(values)];
}

function safePassword(url: string): string {
  try {
    return new URL(url).password;
  } catch {
    return "";
  }
}
