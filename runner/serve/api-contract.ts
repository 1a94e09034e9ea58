import type { Socket } from "node:net";
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { API_ERROR, type ApiErrorCode, sendError } from "./api-errors.js";

/**
 * The API's error contract, for fastify's own refusals too: every answer that is not a
 * success is `{"error": "SLIPWAY_E_API_...", "message": "..."}` (docs/api.md), whether it
 * comes from a route, from schema validation, from the router (404, 414, a bad URL) or from
 * Node's HTTP parser before any route ran (431, 400).
 */

function send(reply: FastifyReply, status: number, code: ApiErrorCode, message: string) {
  return sendError(reply, code, message, status);
}

/** What a fastify error code means in the API's terms. */
function translate(err: FastifyError): { status: number; code: ApiErrorCode; message: string } {
  const status = err.statusCode ?? 500;
  if (err.validation) {
    const code =
      err.validationContext === "querystring" || err.validationContext === "params"
        ? API_ERROR.BAD_QUERY
        : err.validationContext === "headers"
          ? API_ERROR.BAD_HEADER
          : API_ERROR.BAD_BODY;
    return { status: 400, code, message: err.message };
  }
  if (err.code === "FST_ERR_CTP_BODY_TOO_LARGE")
    return { status: 413, code: API_ERROR.TOO_LARGE, message: err.message };
  if (err.code === "FST_ERR_CTP_INVALID_MEDIA_TYPE") {
    return { status: 415, code: API_ERROR.BAD_BODY, message: "send JSON (content-type: application/json)" };
  }
  if (err.code?.startsWith("FST_ERR_CTP_") || (err instanceof SyntaxError && status === 400)) {
    return { status: 400, code: API_ERROR.BAD_BODY, message: err.message };
  }
  if (err.code === "FST_ERR_MAX_PARAM_LENGTH") {
    return { status: 414, code: API_ERROR.URI_TOO_LONG, message: "a path segment of the URL is too long" };
  }
  if (err.code === "FST_ERR_BAD_URL")
    return { status: 400, code: API_ERROR.BAD_URL, message: "the URL is not valid (bad percent-encoding)" };
  if (status >= 400 && status < 500) return { status, code: API_ERROR.BAD_REQUEST, message: err.message };
  return { status: 500, code: API_ERROR.INTERNAL, message: "internal error; the daemon's log has the details" };
}

/** The answer Node's HTTP parser gets when it refuses a request before fastify sees it. */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === "ECONNRESET" || socket.destroyed) return;
  const [status, reason, code, message] =
    err.code === "HPE_HEADER_OVERFLOW"
      ? [431, "Request Header Fields Too Large", API_ERROR.HEADERS_TOO_LARGE, "the request headers exceed 16 KiB"]
      : err.code === "HPE_URI_TOO_LONG"
        ? [414, "URI Too Long", API_ERROR.URI_TOO_LONG, "the request URL is too long"]
        : err.code === "ERR_HTTP_REQUEST_TIMEOUT"
          ? [408, "Request Timeout", API_ERROR.TIMEOUT, "the request took too long to arrive"]
          : [400, "Bad Request", API_ERROR.BAD_REQUEST, "the request is not valid HTTP"];
  const body = JSON.stringify({ error: code, code, message });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

/** For fastify's `frameworkErrors` option: router refusals (414 for a long path segment, a bad URL). */
export function frameworkErrors(err: FastifyError, _req: FastifyRequest, reply: FastifyReply) {
  const t = translate(err);
  return send(reply, t.status, t.code, t.message);
}

/** Longest path segment the API accepts (ids are 26 characters; names far fewer than this). */
const MAX_SEGMENT = 256;

/** Installs the error and not-found handlers and the query hygiene check on `app`. */
export function installContract(app: FastifyInstance, onInternal: (err: Error, req: FastifyRequest) => void): void {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    const t = translate(err);
    if (t.status >= 500) onInternal(err, req);
    return send(reply, t.status, t.code, t.message);
  });
  app.setNotFoundHandler((req, reply) =>
    send(reply, 404, API_ERROR.NOT_FOUND, `no route ${req.method} ${req.url.slice(0, 200)}`),
  );
  // A path segment longer than any id or name the API has is refused before routing (the
  // dashboard's catch-all route would otherwise take it): 414, not a 404 for a 10 KB "id".
  app.addHook("onRequest", async (req, reply) => {
    const path = req.url.split("?")[0] ?? "";
    if (path.startsWith("/api/") && path.split("/").some((segment) => segment.length > MAX_SEGMENT)) {
      return send(reply, 414, API_ERROR.URI_TOO_LONG, `a path segment of the URL is over ${MAX_SEGMENT} characters`);
    }
  });
  // A parameter given twice (`?limit=1&limit=2`) is ambiguous: refuse it instead of guessing.
  app.addHook("preValidation", async (req, reply) => {
    const query = req.query as Record<string, unknown> | undefined;
    for (const [name, value] of Object.entries(query ?? {})) {
      if (Array.isArray(value)) {
        return send(
          reply,
          400,
          API_ERROR.BAD_QUERY,
          `query parameter ${name.slice(0, 50)} is given ${value.length} times; give it once`,
        );
      }
    }
  });
}

/** Decimal digits only, no sign, no exponent, no hex, no spaces; at most 15 digits (a safe integer). */
const DECIMAL = /^(?:0|[1-9][0-9]{0,14})$/;

/** A strictly decimal integer in [min, max], or undefined. `0x10`, `1e2`, `+5`, ` 5` and `05` are not. */
export function parseDecimal(text: unknown, min: number, max: number): number | undefined {
  if (typeof text !== "string" || !DECIMAL.test(text)) return undefined;
  const n = Number(text);
  return n >= min && n <= max ? n : undefined;
}
