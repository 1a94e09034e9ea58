import type { FastifyReply, FastifyRequest } from "fastify";
import { API_ERROR, sendError } from "./api-errors.js";
import type { DaemonContext } from "./context.js";

/** Who made a request: a token's name, or undefined for anonymous. */
export async function requestActor(ctx: DaemonContext, req: FastifyRequest): Promise<string | undefined> {
  const header = req.headers.authorization ?? "";
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match?.[1]) return undefined;
  const fromConfig = ctx.config.verifyToken(match[1]);
  if (fromConfig) return fromConfig;
  return (await ctx.store.verifyApiToken(match[1]))?.name;
}

/** Reads that need a token even under `public_read`: the list of who holds tokens. */
const PRIVATE_READS = /^\/api\/tokens(\/|\?|$)/;
/** Reads anyone may make: the dashboard asks who it is and reads the API description before signing in. */
const OPEN_READS = /^\/api\/(whoami|openapi\.json)(\?|$)/;

/**
 * Mutating endpoints need an API token (configured, or created in the store; both are only
 * kept hashed). Reads need one too unless `public_read` is on; `/api/tokens` always does.
 */
export function authGuard(ctx: DaemonContext) {
  return async (req: FastifyRequest, reply: FastifyReply) => {
    if (req.url.startsWith("/api/hooks/")) return; // forges authenticate with their own signatures
    const readOnly = req.method === "GET" || req.method === "HEAD";
    if (readOnly && OPEN_READS.test(req.url)) return;
    if (readOnly && !PRIVATE_READS.test(req.url) && (ctx.config.publicRead || !req.url.startsWith("/api/"))) return;
    const actor = await requestActor(ctx, req);
    if (!actor) {
      reply.header("www-authenticate", 'Bearer realm="slipway"');
      return sendError(reply, API_ERROR.UNAUTHORIZED, "an API token is required (Authorization: Bearer <token>)");
    }
    (req as FastifyRequest & { actor?: string }).actor = actor;
  };
}

export function actorOf(req: FastifyRequest): string {
  return (req as FastifyRequest & { actor?: string }).actor ?? "anonymous";
}
