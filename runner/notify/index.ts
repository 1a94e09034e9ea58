/** Outbound webhooks (notifications): signed JSON or Slack bodies, queued, retried, recorded. */
export { backoffSchedule, MAX_DELAY_MS, parseRetryAfter, retryDelayMs } from "./backoff.js";
export { observeDeployments } from "./deployments.js";
export { Dispatcher, type DispatcherOptions } from "./dispatcher.js";
export { NOTIFY_ERROR_CODES, NotifyError, type NotifyErrorCode } from "./errors.js";
export { deploymentEvent, Notifier, type NotifierOptions, type RunChange, type RunChangeSource } from "./notifier.js";
export {
  formatBody,
  type JsonPayload,
  jsonPayload,
  type NotificationFacts,
  PAYLOAD_VERSION,
  type SlackPayload,
  slackPayload,
  summary,
} from "./payload.js";
export { type AttemptResult, type OutboundRequest, USER_AGENT, WebhookSender } from "./sender.js";
export {
  DEFAULT_TOLERANCE_SECONDS,
  SIGNATURE_HEADER,
  signBody,
  TIMESTAMP_HEADER,
  type Verification,
  verifySignature,
} from "./signing.js";
