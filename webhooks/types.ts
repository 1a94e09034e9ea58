import type { HookRejection } from "./errors.js";

/** The request as the HTTP layer received it; header names in any case. */
export interface WebhookRequest {
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The exact bytes received: signatures are computed over them, not over re-serialised JSON. */
  readonly rawBody: Buffer;
}

export interface WebhookRepo {
  readonly name: string;
  /** The webhook secret; undefined accepts unauthenticated requests (see docs/webhooks.md). */
  readonly secret?: string;
}

export interface WebhookOptions {
  /** Largest accepted body in bytes, checked before anything else; default 1 MiB. */
  readonly maxBytes?: number;
}

export type Forge = "github" | "gitea" | "gitlab" | "plain";

interface EventBase {
  /** The forge's delivery id, else `X-Request-Id`, else the SHA-256 of the body: for de-duplicating retries. */
  readonly deliveryId: string;
  readonly forge: Forge;
  /** Whether a secret was configured and the request proved it knew it. */
  readonly authenticated: boolean;
  /** Who pushed, as the forge names them. */
  readonly actor?: string;
  /** The repository's clone URL as the forge reports it (informational: the configured URL is used). */
  readonly repositoryUrl?: string;
}

/** The forge checking the hook works (GitHub's `ping`); nothing to run. */
export interface PingEvent extends EventBase {
  readonly kind: "ping";
}

/**
 * A ref changed. `push` is a branch update, `tag` a tag pushed, `delete` a branch or tag
 * deleted (the caller ignores it, but answers 2xx so the forge does not retry).
 */
export interface RefEvent extends EventBase {
  readonly kind: "push" | "tag" | "delete";
  /** Full ref: `refs/heads/develop`, `refs/tags/v1.2.0`. */
  readonly ref: string;
  /**
   * The new commit, lower-case. Absent for deletions, for the plain form without `sha`, and
   * for GitHub `create` events, which carry none: the caller resolves the ref itself then.
   */
  readonly sha?: string;
  /** The previous commit, when the forge sends one and the ref existed before. */
  readonly before?: string;
}

export type WebhookEvent = PingEvent | RefEvent;

export type WebhookResult = { readonly ok: true; readonly event: WebhookEvent } | HookRejection;
