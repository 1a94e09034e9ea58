import { authenticate } from "./auth.js";
import { reject } from "./errors.js";
import { deliveryId, detectForge, Headers } from "./headers.js";
import { createDeleteFields, type Json, plainFields, pushFields, type RefFields } from "./payloads.js";
import { isRejection, printable } from "./refs.js";
import type { Forge, WebhookOptions, WebhookRepo, WebhookRequest, WebhookResult } from "./types.js";

export const DEFAULT_MAX_BYTES = 1024 * 1024;

/** Event header values Slipway acts on, per forge; anything else is UNSUPPORTED_EVENT. */
export const SUPPORTED_EVENTS: Readonly<Record<Exclude<Forge, "plain">, readonly string[]>> = {
  github: ["push", "ping", "create", "delete"],
  gitea: ["push", "create", "delete"],
  gitlab: ["Push Hook", "Tag Push Hook"],
};

/**
 * Turns one webhook request for `repo` into an event or a rejection. Pure: no I/O, never
 * throws on input (only on a programming error such as an empty secret), so the HTTP layer
 * answers `result.status` with `{code, message}` or acts on `result.event`.
 *
 * Order matters: size first (before hashing or parsing a body of any size), then the secret
 * over the raw bytes (so unauthenticated input never reaches the JSON parser), then the
 * event type, then the payload.
 */
export function parseWebhook(req: WebhookRequest, repo: WebhookRepo, options: WebhookOptions = {}): WebhookResult {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  if (!Number.isSafeInteger(maxBytes) || maxBytes <= 0) throw new TypeError(`maxBytes must be a positive integer`);
  // An empty secret would make every HMAC computable by anyone: a configuration bug, not input.
  if (repo.secret === "") throw new TypeError(`the webhook secret of repository ${repo.name} is empty`);

  const body = req.rawBody;
  if (body.length > maxBytes) {
    return reject("SLIPWAY_E_HOOK_TOO_LARGE", `the body has ${body.length} bytes; at most ${maxBytes} are accepted`);
  }
  const headers = new Headers(req.headers);
  const { forge, event } = detectForge(headers);
  if (repo.secret !== undefined) {
    const denied = authenticate(forge, headers, body, repo.secret);
    if (denied) return denied;
  }
  if (forge !== "plain" && !SUPPORTED_EVENTS[forge].includes(event)) {
    return reject(
      "SLIPWAY_E_HOOK_UNSUPPORTED_EVENT",
      `${forge} event "${printable(event)}" is not handled; send only ${SUPPORTED_EVENTS[forge].join(", ")} events`,
    );
  }
  const parsed = parseBody(forge, headers, body);
  if (isRejection(parsed)) return parsed;

  const base = { deliveryId: deliveryId(forge, headers, body), forge, authenticated: repo.secret !== undefined };
  if (event === "ping") {
    const url = (parsed.repository as Json | undefined)?.clone_url;
    return { ok: true, event: { kind: "ping", ...base, ...(typeof url === "string" ? { repositoryUrl: url } : {}) } };
  }
  let fields: RefFields | ReturnType<typeof reject>;
  if (forge === "plain") fields = plainFields(parsed);
  else if (event === "create" || event === "delete") fields = createDeleteFields(forge, event, parsed);
  else fields = pushFields(forge, parsed);
  if (isRejection(fields)) return fields;
  return { ok: true, event: { ...fields, ...base } };
}

/**
 * The JSON object in the body. GitHub can also deliver `application/x-www-form-urlencoded`
 * with the JSON in a `payload` field; the signature covers the encoded bytes, which were
 * checked before this point.
 */
function parseBody(forge: Forge, headers: Headers, body: Buffer): Json | ReturnType<typeof reject> {
  let text = body.toString("utf8");
  const type = headers.get("content-type") ?? "";
  if (forge !== "plain" && /^application\/x-www-form-urlencoded/i.test(type)) {
    const payload = new URLSearchParams(text).get("payload");
    if (payload === null) return reject("SLIPWAY_E_HOOK_MALFORMED_JSON", "the form-encoded body has no payload field");
    text = payload;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const detail = text.trim() === "" ? "the body is empty" : (err as Error).message;
    return reject("SLIPWAY_E_HOOK_MALFORMED_JSON", `the body is not valid JSON: ${printable(detail)}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    const what = Array.isArray(value) ? "an array" : value === null ? "null" : `a ${typeof value}`;
    return reject("SLIPWAY_E_HOOK_NOT_AN_OBJECT", `the JSON body must be an object, got ${what}`);
  }
  return value as Json;
}
