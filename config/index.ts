/** Public surface of `config/`: load and validate `slipway.config.yml` for `slipway serve`. */
export { ENV_OVERRIDES, ENV_TOKEN_NAME, MIN_API_TOKEN_LENGTH } from "./env.js";
export {
  CONFIG_ERROR_CODES,
  ConfigError,
  type ConfigErrorCode,
  type ConfigProblem,
  formatConfigProblem,
} from "./errors.js";
export { DEFAULT_CONFIG_FILE, DEFAULTS, type LoadConfigOptions, loadConfig } from "./load-config.js";
export { MAX_ATTEMPTS_LIMIT, parseWebhookUrl, WEBHOOK_DEFAULTS } from "./notifications.js";
export { ROOT_KEYS } from "./read-file.js";
export { persistentRunnerId, RUNNER_ID_FILE } from "./runner-id.js";
export { Secret } from "./secret.js";
export { DEFAULT_BRANCHES, DEFAULT_TAGS } from "./sections.js";
export {
  type ApiTokenInfo,
  type Config,
  type GitCredentials,
  NOTIFICATION_EVENTS,
  type NotificationEvent,
  type RegistryConfig,
  type RepositoryConfig,
  WEBHOOK_FORMATS,
  type WebhookConfig,
} from "./types.js";
export type { ListenAddress, RepositoryTransport } from "./values.js";
