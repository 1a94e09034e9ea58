import type { FastifyReply } from "fastify";
import { SlipwayError } from "../../core/index.js";
import { HOOK_ERROR_CODES, type HookErrorCode } from "../../webhooks/index.js";

/**
 * Every code the HTTP API answers with, and its status. Codes are a public contract (the CLI
 * and scripts match on them); docs/api.md documents each one and the catalogue test keeps the
 * two in step. Routes name these constants, never bare strings.
 */
export const API_ERROR_CODES = {
  SLIPWAY_E_API_UNAUTHORIZED: {
    status: 401,
    description: "No token, or not a valid one, on an endpoint that needs one.",
  },
  SLIPWAY_E_API_NOT_FOUND: { status: 404, description: "No such repository, run, or route." },
  SLIPWAY_E_API_BAD_BODY: { status: 400, description: "The JSON body is unparseable or not the expected shape." },
  SLIPWAY_E_API_BAD_QUERY: { status: 400, description: "A query parameter is invalid." },
  SLIPWAY_E_API_BAD_REF: { status: 422, description: "The ref to trigger is not a branch or tag of the repository." },
  SLIPWAY_E_API_BAD_STAGE: { status: 400, description: "`retry` names a stage the run does not have." },
  SLIPWAY_E_API_CONFLICT: { status: 409, description: "The run is in the wrong state for the request." },
  SLIPWAY_E_API_WINDOW_CLOSED: {
    status: 409,
    description: "`approve` of a run waiting for its deploy window, without `overrideWindow: true`.",
  },
  SLIPWAY_E_API_BAD_HEADER: { status: 400, description: "A header fails validation." },
  SLIPWAY_E_API_BAD_URL: { status: 400, description: "The URL's percent-encoding is malformed." },
  SLIPWAY_E_API_BAD_REQUEST: { status: 400, description: "The request is not valid HTTP, or another client error." },
  SLIPWAY_E_API_TOO_LARGE: { status: 413, description: "The body is over 1 MiB." },
  SLIPWAY_E_API_URI_TOO_LONG: { status: 414, description: "A path segment or the request line is too long." },
  SLIPWAY_E_API_HEADERS_TOO_LARGE: { status: 431, description: "The request's headers exceed 16 KiB." },
  SLIPWAY_E_API_TIMEOUT: { status: 408, description: "The request took too long to arrive." },
  SLIPWAY_E_API_STARTING: { status: 503, description: "The daemon is bound but not ready yet." },
  SLIPWAY_E_API_INTERNAL: { status: 500, description: "A bug; the daemon's log has the stack." },
  SLIPWAY_E_HOOK_UNKNOWN_REPOSITORY: {
    status: 404,
    description: "`POST /api/hooks/:repo` for a repository not in the configuration.",
  },
} as const satisfies Record<string, { status: number; description: string }>;

export type ApiErrorCode = keyof typeof API_ERROR_CODES;

/** Named constants for the codes, so a typo is a compile error: `API_ERROR.NOT_FOUND`. */
export const API_ERROR = {
  UNAUTHORIZED: "SLIPWAY_E_API_UNAUTHORIZED",
  NOT_FOUND: "SLIPWAY_E_API_NOT_FOUND",
  BAD_BODY: "SLIPWAY_E_API_BAD_BODY",
  BAD_QUERY: "SLIPWAY_E_API_BAD_QUERY",
  BAD_REF: "SLIPWAY_E_API_BAD_REF",
  BAD_STAGE: "SLIPWAY_E_API_BAD_STAGE",
  CONFLICT: "SLIPWAY_E_API_CONFLICT",
  WINDOW_CLOSED: "SLIPWAY_E_API_WINDOW_CLOSED",
  BAD_HEADER: "SLIPWAY_E_API_BAD_HEADER",
  BAD_URL: "SLIPWAY_E_API_BAD_URL",
  BAD_REQUEST: "SLIPWAY_E_API_BAD_REQUEST",
  TOO_LARGE: "SLIPWAY_E_API_TOO_LARGE",
  URI_TOO_LONG: "SLIPWAY_E_API_URI_TOO_LONG",
  HEADERS_TOO_LARGE: "SLIPWAY_E_API_HEADERS_TOO_LARGE",
  TIMEOUT: "SLIPWAY_E_API_TIMEOUT",
  STARTING: "SLIPWAY_E_API_STARTING",
  INTERNAL: "SLIPWAY_E_API_INTERNAL",
  HOOK_UNKNOWN_REPOSITORY: "SLIPWAY_E_HOOK_UNKNOWN_REPOSITORY",
} as const satisfies Record<string, ApiErrorCode>;

/** A refused API request; its `httpStatus` comes from the catalogue unless given. */
export class ApiRequestError extends SlipwayError<ApiErrorCode | HookErrorCode> {
  constructor(code: ApiErrorCode | HookErrorCode, message: string, httpStatus?: number) {
    const table: Record<string, { status: number }> = { ...API_ERROR_CODES, ...HOOK_ERROR_CODES };
    super(code, message, { httpStatus: httpStatus ?? table[code]?.status ?? 400 });
  }
}

/** Sends the API's `{error, message}` answer with the code's status (or `status` where it varies). */
export function sendError(
  reply: FastifyReply,
  code: ApiErrorCode | HookErrorCode,
  message: string,
  status?: number,
): FastifyReply {
  const err = new ApiRequestError(code, message, status);
  return reply.code(err.httpStatus ?? 400).send(err.toJSON());
}
