import { isMap, isScalar } from "../core/index.js";
import { didYouMean } from "../pipelines/index.js";
import { Secret } from "./secret.js";
import { readSecretRef, type SecretContext } from "./secret-refs.js";
import { NOTIFICATION_EVENTS, type NotificationEvent, WEBHOOK_FORMATS, type WebhookConfig } from "./types.js";
import { type Parsed, parseConfigDuration, parseInteger, REPOSITORY_NAME } from "./values.js";
import type { Reader, Slot } from "./yaml-reader.js";

/**
 * Readers for `notifications:` (outbound webhooks), at the root (every repository's events)
 * and inside a repository (its events only). docs/notifications.md documents each key.
 */

const WEBHOOK_KEYS = ["name", "url", "format", "events", "secret", "timeout", "max_attempts", "backoff"] as const;

export const WEBHOOK_DEFAULTS = { format: "json", timeoutSeconds: 10, maxAttempts: 5, backoffSeconds: 10 } as const;
/** More attempts than this is a misconfiguration: with doubling delays the last would come days later. */
export const MAX_ATTEMPTS_LIMIT = 20;
/** A receiver slower than this is broken; a longer timeout only ties up the delivery queue. */
const MAX_TIMEOUT_SECONDS = 300;

/** A webhook name and where it was written, so duplicates across scopes are reported at the second one. */
export interface NamedSlot {
  value: string;
  slot: Slot;
}

/**
 * `http://` or `https://` with a host and no password. Other schemes are refused at start-up
 * (a `file:` or `gopher:` URL from a config typo must never be fetched). `secret` says the URL
 * came from a secret reference: its text is then never repeated in a message (a chat webhook
 * URL carries its credential in the path).
 */
export function parseWebhookUrl(text: string, secret: boolean): Parsed<URL> {
  const shown = secret ? "the URL" : `"${text}"`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { ok: false, reason: `${shown} is not an absolute URL (http://... or https://...)` };
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return { ok: false, reason: `unsupported scheme "${url.protocol}//"; a webhook URL is http:// or https://` };
  }
  if (url.hostname === "") return { ok: false, reason: `${shown} has no host` };
  if (url.password !== "" && !secret) {
    return {
      ok: false,
      plaintextSecret: true,
      reason: "the URL holds a password; give the whole URL as a secret (url: {env: NAME})",
    };
  }
  return { ok: true, value: url };
}

/** Reads a `notifications:` list; `repository` scopes it to one repository's events. */
export function readWebhooks(
  reader: Reader,
  slot: Slot,
  ctx: SecretContext,
  repository: string | undefined,
  names: NamedSlot[],
): WebhookConfig[] {
  const webhooks: WebhookConfig[] = [];
  for (const item of reader.list(slot) ?? []) {
    const entries = reader.map(item, WEBHOOK_KEYS);
    if (entries === undefined) continue;
    const nameSlot = reader.require(entries, item, "name");
    let name = nameSlot && reader.string(nameSlot);
    if (nameSlot && name !== undefined && !REPOSITORY_NAME.test(name)) {
      reader.report(nameSlot, "SLIPWAY_E_CONFIG_BAD_VALUE", `webhook name "${name}" must match [a-z0-9][a-z0-9._-]*`);
      name = undefined;
    }
    if (nameSlot && name !== undefined) names.push({ value: name, slot: nameSlot });
    const urlSlot = reader.require(entries, item, "url");
    const url = urlSlot && readUrl(reader, urlSlot, ctx);
    const format = readFormat(reader, entries.get("format"));
    const eventsSlot = reader.require(entries, item, "events");
    const events = eventsSlot && readEvents(reader, eventsSlot);
    const secretSlot = entries.get("secret");
    const secret = secretSlot && readSecretRef(reader, secretSlot, ctx);
    const timeoutSeconds = readSeconds(reader, entries.get("timeout"), WEBHOOK_DEFAULTS.timeoutSeconds);
    if (timeoutSeconds !== undefined && timeoutSeconds > MAX_TIMEOUT_SECONDS) {
      reader.report(
        entries.get("timeout") as Slot,
        "SLIPWAY_E_CONFIG_BAD_VALUE",
        `timeout must be at most ${MAX_TIMEOUT_SECONDS / 60}m`,
      );
    }
    const backoffSeconds = readSeconds(reader, entries.get("backoff"), WEBHOOK_DEFAULTS.backoffSeconds);
    const maxAttempts = readAttempts(reader, entries.get("max_attempts"));
    if (secretSlot && secret === undefined) continue;
    if (name === undefined || url === undefined || format === undefined || events === undefined) continue;
    if (timeoutSeconds === undefined || timeoutSeconds > MAX_TIMEOUT_SECONDS) continue;
    if (backoffSeconds === undefined || maxAttempts === undefined) continue;
    webhooks.push({
      name,
      url,
      format,
      events,
      timeoutSeconds,
      maxAttempts,
      backoffSeconds,
      ...(secret ? { secret } : {}),
      ...(repository !== undefined ? { repository } : {}),
    });
  }
  return webhooks;
}

/** A plain URL, or a secret reference whose value is the URL (Slack's URLs are credentials). */
function readUrl(reader: Reader, slot: Slot, ctx: SecretContext): Secret | undefined {
  if (isMap(slot.node)) {
    const secret = readSecretRef(reader, slot, ctx);
    if (secret === undefined) return undefined;
    const parsed = parseWebhookUrl(secret.reveal(), true);
    if (!parsed.ok)
      return reader.report(slot, "SLIPWAY_E_CONFIG_BAD_VALUE", `${slot.path} from ${secret.source}: ${parsed.reason}`);
    return secret;
  }
  const text = reader.string(slot);
  if (text === undefined) return undefined;
  const parsed = parseWebhookUrl(text, false);
  if (!parsed.ok) {
    const code = parsed.plaintextSecret ? "SLIPWAY_E_CONFIG_PLAINTEXT_SECRET" : "SLIPWAY_E_CONFIG_BAD_VALUE";
    return reader.report(slot, code, `${slot.path}: ${parsed.reason}`);
  }
  // Not secret, but carried the same way so the sender has one type to read.
  return new Secret(text, PLAIN_URL_SOURCE);
}

/** `Secret.source` of a URL written in clear: such URLs are not masked in logs (they are not secret). */
export const PLAIN_URL_SOURCE = "config file";

function readFormat(reader: Reader, slot: Slot | undefined): WebhookConfig["format"] | undefined {
  if (slot === undefined) return WEBHOOK_DEFAULTS.format;
  const text = reader.string(slot);
  if (text === undefined) return undefined;
  if ((WEBHOOK_FORMATS as readonly string[]).includes(text)) return text as WebhookConfig["format"];
  return reader.report(
    slot,
    "SLIPWAY_E_CONFIG_BAD_VALUE",
    `${slot.path} is "${text}"; expected ${WEBHOOK_FORMATS.join(" or ")}${didYouMean(text, WEBHOOK_FORMATS)}`,
  );
}

function readEvents(reader: Reader, slot: Slot): NotificationEvent[] | undefined {
  const items = reader.list(slot);
  if (items === undefined) return undefined;
  if (items.length === 0) {
    return reader.report(slot, "SLIPWAY_E_CONFIG_BAD_VALUE", `${slot.path} is empty; name at least one event`);
  }
  const events: NotificationEvent[] = [];
  let valid = true;
  for (const item of items) {
    const text = reader.string(item);
    if (text === undefined) valid = false;
    else if (!(NOTIFICATION_EVENTS as readonly string[]).includes(text)) {
      valid = false;
      reader.report(
        item,
        "SLIPWAY_E_CONFIG_BAD_VALUE",
        `unknown event "${text}"${didYouMean(text, NOTIFICATION_EVENTS)}; events are ${NOTIFICATION_EVENTS.join(", ")}`,
      );
    } else if (!events.includes(text as NotificationEvent)) events.push(text as NotificationEvent);
  }
  return valid ? events : undefined;
}

function readSeconds(reader: Reader, slot: Slot | undefined, fallback: number): number | undefined {
  if (slot === undefined) return fallback;
  const parsed = parseConfigDuration(isScalar(slot.node) ? slot.node.value : undefined);
  if (parsed.ok) return parsed.value;
  return reader.report(slot, "SLIPWAY_E_CONFIG_BAD_VALUE", `${slot.path}: ${parsed.reason}`);
}

function readAttempts(reader: Reader, slot: Slot | undefined): number | undefined {
  if (slot === undefined) return WEBHOOK_DEFAULTS.maxAttempts;
  const value = isScalar(slot.node) ? slot.node.value : undefined;
  const parsed = typeof value === "number" ? parseInteger(value, 1) : undefined;
  if (parsed?.ok && parsed.value <= MAX_ATTEMPTS_LIMIT) return parsed.value;
  return reader.report(
    slot,
    "SLIPWAY_E_CONFIG_BAD_VALUE",
    `${slot.path} must be a whole number from 1 to ${MAX_ATTEMPTS_LIMIT}`,
  );
}
