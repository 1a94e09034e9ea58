import type { Secret } from "./secret.js";
import type { ListenAddress, RepositoryTransport } from "./values.js";

/** The validated, deep-frozen configuration of `slipway serve`. Produced only by `loadConfig`. */

export interface GitCredentials {
  /** Plain text: user names are not secret (see `readUsername`). */
  readonly username: string;
  readonly password: Secret;
}

export interface RepositoryConfig {
  /** `[a-z0-9][a-z0-9._-]*`; the `:repo` of `/api/hooks/:repo`. */
  readonly name: string;
  readonly url: string;
  /** Which of git's URL forms `url` is. */
  readonly transport: RepositoryTransport;
  /** Seconds between polls, or false to rely on webhooks only. */
  readonly pollSeconds: number | false;
  /** Branch globs to follow (`*` matches anything, including `/`). */
  readonly branches: readonly string[];
  /** Glob of tags to follow. */
  readonly tags: string;
  /**
   * Whether the repository's compose stacks may use host-level powers (bind mounts outside the
   * checkout, `privileged`, host namespaces, devices, the Docker socket). Default false.
   */
  readonly trusted: boolean;
  readonly webhookSecret?: Secret;
  /** Only for http(s) URLs. */
  readonly credentials?: GitCredentials;
  /** This repository's own `notifications:` (also listed in `Config.notifications`). */
  readonly notifications: readonly WebhookConfig[];
}

/**
 * What outbound webhooks can be told (docs/notifications.md). `run.fixed` is a run that
 * succeeded where the previous finished run of the same repository and ref failed;
 * `approval.waiting` a run parked before a deploy stage until someone approves it;
 * `deployment.paused` and `deployment.awaiting_confirm` a deployment that waits for someone's
 * `confirm` or `rollback`.
 */
export const NOTIFICATION_EVENTS = [
  "run.started",
  "run.succeeded",
  "run.failed",
  "run.cancelled",
  "run.fixed",
  "deployment.succeeded",
  "deployment.failed",
  "deployment.rolled_back",
  "deployment.paused",
  "deployment.awaiting_confirm",
  "approval.waiting",
] as const;
export type NotificationEvent = (typeof NOTIFICATION_EVENTS)[number];

/** `json`: Slipway's own signed payload; `slack`: an incoming-webhook `{text, blocks}` body. */
export const WEBHOOK_FORMATS = ["json", "slack"] as const;

/** One outbound webhook of `notifications:` (at the root, or inside a repository). */
export interface WebhookConfig {
  /** `[a-z0-9][a-z0-9._-]*`, unique across the whole file: deliveries are recorded by it. */
  readonly name: string;
  /**
   * http(s) only. A Secret because a chat webhook URL is a credential; one written in clear
   * in the file is still carried as a Secret (source "config file") but not masked.
   */
  readonly url: Secret;
  readonly format: (typeof WEBHOOK_FORMATS)[number];
  readonly events: readonly NotificationEvent[];
  /** The HMAC-SHA256 key of `X-Slipway-Signature`; unsigned without one. */
  readonly secret?: Secret;
  /** Per attempt: connect, send and the whole answer. */
  readonly timeoutSeconds: number;
  /** Attempts in all, the first included. */
  readonly maxAttempts: number;
  /** The delay before the first retry; each later one doubles it (with jitter). */
  readonly backoffSeconds: number;
  /** Only this repository's events; undefined (a root-level webhook) for every repository. */
  readonly repository?: string;
}

export interface RegistryConfig {
  /** `host[:port]`, as in image references. */
  readonly host: string;
  readonly username: string;
  readonly password: Secret;
}

/** What is known about an API token besides its hash, which stays in a closure. */
export interface ApiTokenInfo {
  readonly name: string;
  readonly source: "file" | "env";
}

export interface Config {
  /** The file the configuration came from; undefined when only defaults and environment applied. */
  readonly file?: string;
  readonly listen: ListenAddress;
  /** Absolute. */
  readonly dataDir: string;
  /** The store URL (may carry a password, hence a Secret); undefined = SQLite in `dataDir`. */
  readonly store?: Secret;
  readonly runnerId: string;
  readonly concurrency: number;
  readonly logRetentionSeconds: number;
  /** On SIGTERM, how long running runs may go on before they are cancelled and marked interrupted. */
  readonly shutdownGraceSeconds: number;
  /** Whether GET endpoints answer without a token. */
  readonly publicRead: boolean;
  readonly apiTokens: readonly ApiTokenInfo[];
  readonly repositories: readonly RepositoryConfig[];
  readonly registries: readonly RegistryConfig[];
  /** Every outbound webhook: the root's, then each repository's. */
  readonly notifications: readonly WebhookConfig[];
  /** Extra values to mask in logs (the `secrets:` list). */
  readonly extraSecrets: readonly Secret[];
  repository(name: string): RepositoryConfig | undefined;
  /**
   * The name of the API token `token` is, or undefined. Compares SHA-256 digests with
   * `timingSafeEqual` against every token, so neither the time taken nor an early exit tells
   * an attacker how close a guess was or which token it matched.
   */
  verifyToken(token: string): string | undefined;
  /** Every resolved secret value (webhook secrets, passwords, store password), for log masking. */
  secrets(): string[];
}
