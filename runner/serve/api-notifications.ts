import type { FastifyInstance } from "fastify";
import { ROUTES } from "../../api-schema/index.js";
import type { DeliveryStatus } from "../../store/index.js";
import { actorOf } from "./api-auth.js";
import { parseDecimal } from "./api-contract.js";
import { API_ERROR, sendError } from "./api-errors.js";
import type { DaemonContext } from "./context.js";

type ListQuery = { webhook?: string; status?: DeliveryStatus; run?: string; limit?: string; before?: string };

/** Outbound webhooks: what is configured, the deliveries with their attempts, redelivery. */
export function registerNotificationRoutes(app: FastifyInstance, ctx: DaemonContext): void {
  app.get("/api/notifications/webhooks", { schema: ROUTES.listWebhooks }, async () => ({
    webhooks: ctx.config.notifications.map((w) => ({
      name: w.name,
      repository: w.repository ?? null,
      format: w.format,
      events: [...w.events],
      signed: w.secret !== undefined,
      timeoutSeconds: w.timeoutSeconds,
      maxAttempts: w.maxAttempts,
      backoffSeconds: w.backoffSeconds,
    })),
  }));

  app.get<{ Querystring: ListQuery }>(
    "/api/notifications/deliveries",
    { schema: ROUTES.listDeliveries },
    async (req, reply) => {
      const q = req.query;
      const limit = q.limit === undefined ? 50 : parseDecimal(q.limit, 1, 500);
      if (limit === undefined) return sendError(reply, API_ERROR.BAD_QUERY, "limit must be an integer from 1 to 500");
      const deliveries = await ctx.store.notifications.listDeliveries({
        webhook: q.webhook,
        status: q.status,
        runId: q.run,
        before: q.before,
        limit,
      });
      // Bodies stay out of lists (one can be large); the detail route has them.
      return { deliveries: deliveries.map(({ body: _body, ...rest }) => rest) };
    },
  );

  app.get<{ Params: { id: string } }>(
    "/api/notifications/deliveries/:id",
    { schema: ROUTES.getDelivery },
    async (req, reply) => {
      const delivery = await ctx.store.notifications.getDelivery(req.params.id);
      if (!delivery) return sendError(reply, API_ERROR.NOT_FOUND, `no delivery ${req.params.id}`);
      const attempts = await ctx.store.notifications.listAttempts(delivery.id);
      const { body, ...rest } = delivery;
      return { delivery: rest, body, attempts };
    },
  );

  app.post<{ Params: { id: string } }>(
    "/api/notifications/deliveries/:id/redeliver",
    { schema: ROUTES.redeliver },
    async (req, reply) => {
      const result = await ctx.notifier.redeliver(req.params.id);
      if (!result) return sendError(reply, API_ERROR.NOT_FOUND, `no delivery ${req.params.id}`);
      if ("gone" in result) {
        return sendError(reply, API_ERROR.CONFLICT, `webhook ${result.gone} is no longer configured`);
      }
      await ctx.store.addAuditEvent({
        actor: actorOf(req),
        action: "redeliver",
        target: req.params.id,
        detail: { delivery: result.delivery.id, webhook: result.delivery.webhook, event: result.delivery.event },
      });
      const { body: _body, ...rest } = result.delivery;
      return reply.code(201).send({ delivery: rest });
    },
  );
}
