import { SlipwayError } from "../../core/index.js";

/**
 * Codes of outbound webhook delivery. An attempt's recorded `error` starts with one of them
 * (`SLIPWAY_E_NOTIFY_REFUSED: HTTP 503`), so scripts reading the deliveries API match codes,
 * not messages. docs/notifications.md documents each one.
 */
export const NOTIFY_ERROR_CODES = {
  SLIPWAY_E_NOTIFY_BAD_URL: "The destination is not an http:// or https:// URL; nothing is sent.",
  SLIPWAY_E_NOTIFY_TIMEOUT: "The receiver did not answer within the webhook's `timeout`.",
  SLIPWAY_E_NOTIFY_UNREACHABLE: "The connection failed (refused, reset, DNS, TLS).",
  SLIPWAY_E_NOTIFY_REFUSED: "The receiver answered with a status other than 2xx.",
  SLIPWAY_E_NOTIFY_WEBHOOK_GONE: "The delivery's webhook is no longer in the configuration.",
} as const;

export type NotifyErrorCode = keyof typeof NOTIFY_ERROR_CODES;

export class NotifyError extends SlipwayError<NotifyErrorCode> {}
