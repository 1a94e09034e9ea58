import { dirname, resolve } from "node:path";
import { describeNode, isMap, isNullNode, YamlSource } from "../core/index.js";
import type { ScalarSettings } from "./env.js";
import type { ConfigProblem } from "./errors.js";
import { type NamedSlot, readWebhooks } from "./notifications.js";
import { Secret } from "./secret.js";
import { readSecretRef, type SecretContext } from "./secret-refs.js";
import { checkUnique, readApiTokens, readRegistries, readRepositories, type TokenEntry } from "./sections.js";
import type { RegistryConfig, RepositoryConfig, WebhookConfig } from "./types.js";
import {
  type Parsed,
  parseBoolean,
  parseConfigDuration,
  parseInteger,
  parseListen,
  parseStoreUrl,
  RUNNER_ID,
} from "./values.js";
import { Reader, type Slot } from "./yaml-reader.js";

export const ROOT_KEYS = [
  "listen",
  "data_dir",
  "store",
  "runner_id",
  "concurrency",
  "log_retention",
  "shutdown_grace",
  "public_read",
  "api_tokens",
  "repositories",
  "registries",
  "secrets",
  "notifications",
] as const;

export interface FileSettings extends ScalarSettings {
  tokens: TokenEntry[];
  repositories: RepositoryConfig[];
  registries: RegistryConfig[];
  /** Extra values to mask in every log line (`secrets: [{env: X}, {file: /path}]`). */
  secrets: Secret[];
  /** The root's `notifications:` (every repository's events). */
  notifications: WebhookConfig[];
}

/**
 * Reads the text of `slipway.config.yml`. Never throws: every problem, positioned at its node,
 * is returned, and the settings hold whatever was valid (the caller refuses to start if there
 * is any problem, so partial settings are never used).
 */
export function readConfigText(
  text: string,
  file: string,
  env: NodeJS.ProcessEnv,
): { settings: FileSettings; problems: ConfigProblem[] } {
  const source = new YamlSource(text);
  const reader = new Reader(file, source);
  const settings: FileSettings = { tokens: [], repositories: [], registries: [], secrets: [], notifications: [] };
  for (const issue of source.issues) {
    // The parser's warnings (an unknown tag, say) do not stop a start-up; the pipeline shows them.
    if (issue.kind === "warning") continue;
    reader.problems.push({
      file,
      line: issue.line,
      column: issue.column,
      path: "",
      code: issue.kind === "duplicate-key" ? "SLIPWAY_E_CONFIG_DUPLICATE" : "SLIPWAY_E_CONFIG_SYNTAX",
      message: issue.message,
    });
  }
  // After a syntax error the tree is a guess; validating it would bury the cause in noise.
  if (source.broken) return { settings, problems: reader.problems };
  // An empty file (or only comments) is a valid "all defaults" configuration.
  const rootNode = source.root;
  if (isNullNode(rootNode)) return { settings, problems: [] };
  const root: Slot = { node: rootNode, path: "" };
  if (!isMap(rootNode)) {
    reader.report(
      root,
      "SLIPWAY_E_CONFIG_TYPE",
      `the configuration must be a map of keys (listen, repositories, ...), not ${describeNode(rootNode)}`,
    );
    return { settings, problems: reader.problems };
  }
  const entries = reader.map(root, ROOT_KEYS) ?? new Map<string, Slot>();
  const ctx: SecretContext = { env, baseDir: dirname(file) };
  const scalar = <T>(key: (typeof ROOT_KEYS)[number], parse: (value: string | number | boolean) => Parsed<T>) => {
    const slot = entries.get(key);
    const value = slot && reader.scalar(slot, "a single value");
    if (slot === undefined || value === undefined) return undefined;
    const parsed = parse(value);
    if (parsed.ok) return parsed.value;
    // Reasons that quote the value already say what was found; others get it appended.
    const got = /"|got /.test(parsed.reason) ? "" : `, got ${describeNode(slot.node)}`;
    return reader.report(slot, "SLIPWAY_E_CONFIG_BAD_VALUE", `invalid ${slot.path}: ${parsed.reason}${got}`);
  };

  settings.listen = scalar("listen", (v) => (typeof v === "string" ? parseListen(v) : parseListen(String(v))));
  settings.dataDir = scalar("data_dir", (v) => {
    if (typeof v !== "string" || v === "") return { ok: false, reason: "expected a directory path" };
    if (v.startsWith("~")) return { ok: false, reason: `"~" is not expanded; write an absolute path` };
    // Relative to the config file, so the file means the same wherever serve is started.
    return { ok: true, value: resolve(dirname(file), v) };
  });
  settings.runnerId = scalar("runner_id", (v) =>
    typeof v === "string" && RUNNER_ID.test(v)
      ? { ok: true, value: v }
      : { ok: false, reason: "expected letters, digits and @._:/- (at most 128), starting with a letter or digit" },
  );
  settings.concurrency = scalar("concurrency", (v) => parseInteger(v, 1));
  settings.logRetentionSeconds = scalar("log_retention", parseConfigDuration);
  settings.shutdownGraceSeconds = scalar("shutdown_grace", parseConfigDuration);
  settings.publicRead = scalar("public_read", (v) =>
    typeof v === "boolean" ? parseBoolean(v) : { ok: false, reason: "expected true or false" },
  );
  settings.store = readStore(reader, entries.get("store"), ctx);
  const tokens = entries.get("api_tokens");
  if (tokens) settings.tokens = readApiTokens(reader, tokens);
  // Webhook names are unique across the root and every repository: deliveries are kept by name.
  const webhookNames: NamedSlot[] = [];
  const notifications = entries.get("notifications");
  if (notifications) settings.notifications = readWebhooks(reader, notifications, ctx, undefined, webhookNames);
  const repositories = entries.get("repositories");
  if (repositories) settings.repositories = readRepositories(reader, repositories, ctx, webhookNames);
  checkUnique(reader, webhookNames, "webhook");
  const registries = entries.get("registries");
  if (registries) settings.registries = readRegistries(reader, registries, ctx);
  const secrets = entries.get("secrets");
  for (const item of (secrets && reader.list(secrets)) ?? []) {
    const secret = readSecretRef(reader, item, ctx);
    if (secret) settings.secrets.push(secret);
  }
  for (const key of Object.keys(settings) as (keyof FileSettings)[]) {
    if (settings[key] === undefined) delete settings[key];
  }
  // Reading order, like a compiler; lists are read section by section, not line by line.
  const problems = [...reader.problems].sort(
    (a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0),
  );
  return { settings, problems };
}

/**
 * `store:` is a URL without a password, or a secret reference whose value is the whole URL
 * (a password in the file would be stored in clear).
 */
function readStore(reader: Reader, slot: Slot | undefined, ctx: SecretContext): Secret | undefined {
  if (slot === undefined) return undefined;
  if (isMap(slot.node)) {
    const secret = readSecretRef(reader, slot, ctx);
    const parsed = secret && parseStoreUrl(secret.reveal());
    if (parsed && !parsed.ok) {
      return reader.report(
        slot,
        "SLIPWAY_E_CONFIG_BAD_VALUE",
        `store from ${secret?.source}: not a postgres:// or sqlite: URL`,
      );
    }
    return secret;
  }
  const text = reader.string(slot);
  if (text === undefined) return undefined;
  const parsed = parseStoreUrl(text);
  if (!parsed.ok) return reader.report(slot, "SLIPWAY_E_CONFIG_BAD_VALUE", `invalid store: ${parsed.reason}`);
  if (parsed.value.engine === "postgres" && parsed.value.hasPassword) {
    return reader.report(
      slot,
      "SLIPWAY_E_CONFIG_PLAINTEXT_SECRET",
      "secrets must come from {env: ...} or {file: ...}; the store URL holds a password (write store: {env: STORE_URL} or set SLIPWAY_STORE_URL)",
    );
  }
  return new Secret(text, "config file");
}
