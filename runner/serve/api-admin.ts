import type { FastifyInstance } from "fastify";
import { ROUTES } from "../../api-schema/index.js";
import { actorOf, requestActor } from "./api-auth.js";
import { API_ERROR, sendError } from "./api-errors.js";
import type { DaemonContext } from "./context.js";

/** Who am I, the audit log, and store-issued API tokens (create, list, revoke). */
export function registerAdminRoutes(app: FastifyInstance, ctx: DaemonContext): void {
  // Never refused: the dashboard asks it to learn whether a token is valid and may write.
  app.get("/api/whoami", { schema: ROUTES.whoami }, async (req) => {
    const actor = (await requestActor(ctx, req)) ?? null;
    return { actor, canWrite: actor !== null, publicRead: ctx.config.publicRead };
  });

  app.get<{ Querystring: { limit?: string } }>("/api/audit", { schema: ROUTES.listAudit }, async (req, reply) => {
    const limit = req.query.limit === undefined ? 100 : Number(req.query.limit);
    if (limit < 1 || limit > 1000) {
      return sendError(reply, API_ERROR.BAD_QUERY, "limit must be an integer from 1 to 1000");
    }
    return { events: await ctx.store.listAuditEvents(limit) };
  });

  app.get("/api/tokens", { schema: ROUTES.listTokens }, async () => ({ tokens: await ctx.store.listApiTokens() }));

  app.post<{ Body: { name: string } }>("/api/tokens", { schema: ROUTES.createToken }, async (req, reply) => {
    const created = await ctx.store.createApiToken(req.body.name);
    await ctx.store.addAuditEvent({
      actor: actorOf(req),
      action: "token-create",
      target: created.id,
      detail: { name: created.name },
    });
    return reply.code(201).send(created);
  });

  app.delete<{ Params: { id: string } }>("/api/tokens/:id", { schema: ROUTES.revokeToken }, async (req, reply) => {
    const revoked = await ctx.store.revokeApiToken(req.params.id);
    if (!revoked) return sendError(reply, API_ERROR.NOT_FOUND, `no unrevoked token ${req.params.id}`);
    await ctx.store.addAuditEvent({ actor: actorOf(req), action: "token-revoke", target: req.params.id });
    return { revoked, id: req.params.id };
  });
}
