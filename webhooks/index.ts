/** Public surface of `webhooks/`: forge webhook requests → ref events. Pure; the HTTP route lives elsewhere. */
export { HOOK_ERROR_CODES, type HookErrorCode, type HookRejection } from "./errors.js";
export { DEFAULT_MAX_BYTES, parseWebhook, SUPPORTED_EVENTS } from "./parse-webhook.js";
export { ZERO_SHA } from "./refs.js";
export type {
  Forge,
  PingEvent,
  RefEvent,
  WebhookEvent,
  WebhookOptions,
  WebhookRepo,
  WebhookRequest,
  WebhookResult,
} from "./types.js";
