/**
 * Every code a rejected webhook carries, with the HTTP status it is answered with. Codes are a
 * public contract (forges show the response body in their delivery logs, and tests assert
 * codes, not messages); `docs/webhooks.md` documents each one and
 * `test/unit/hooks/error-codes.test.ts` keeps the two in step.
 */
export const HOOK_ERROR_CODES = {
  SLIPWAY_E_HOOK_TOO_LARGE: {
    status: 413,
    description: "The body is larger than the configured maximum (1 MiB by default).",
  },
  SLIPWAY_E_HOOK_AUTH_MISSING: {
    status: 401,
    description: "The repository has a webhook secret but the request carries no signature or token.",
  },
  SLIPWAY_E_HOOK_AUTH_FAILED: {
    status: 401,
    description: "The signature or token does not match the repository's webhook secret, or is malformed.",
  },
  SLIPWAY_E_HOOK_MALFORMED_JSON: { status: 400, description: "The body is not valid JSON." },
  SLIPWAY_E_HOOK_NOT_AN_OBJECT: { status: 400, description: "The JSON body is not an object." },
  SLIPWAY_E_HOOK_MISSING_REF: {
    status: 400,
    description: "The payload has no ref (or no ref_type for create/delete).",
  },
  SLIPWAY_E_HOOK_BAD_REF: { status: 400, description: "The ref is not a valid git branch or tag name." },
  SLIPWAY_E_HOOK_BAD_SHA: { status: 400, description: "A commit id is not 40 hexadecimal characters." },
  SLIPWAY_E_HOOK_UNKNOWN_FIELD: { status: 400, description: "The plain JSON form has a key other than ref and sha." },
  SLIPWAY_E_HOOK_UNSUPPORTED_EVENT: {
    status: 422,
    description: "The forge event type is not one Slipway acts on (only push, tag push, create, delete, ping).",
  },
  SLIPWAY_E_HOOK_UNSUPPORTED_REF: {
    status: 422,
    description: "The ref is neither a branch (refs/heads/) nor a tag (refs/tags/), e.g. refs/pull/1/head.",
  },
} as const satisfies Record<string, { status: 400 | 401 | 413 | 422; description: string }>;

export type HookErrorCode = keyof typeof HOOK_ERROR_CODES;

/** A rejection: what the HTTP layer answers with, as `{code, message}` JSON and `status`. */
export interface HookRejection {
  readonly ok: false;
  readonly status: 400 | 401 | 413 | 422;
  readonly code: HookErrorCode;
  readonly message: string;
}

export function reject(code: HookErrorCode, message: string): HookRejection {
  return { ok: false, status: HOOK_ERROR_CODES[code].status, code, message };
}
