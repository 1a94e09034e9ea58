import type { FastifyError, FastifyInstance, FastifyRequest } from "fastify";
import { DEFAULT_MAX_BYTES, parseWebhook } from "../../webhooks/index.js";
import { API_ERROR, sendError } from "./api-errors.js";
import type { DaemonContext } from "./context.js";
import type { WebhookOutcome } from "./metrics.js";
import { commitKey } from "./triggers.js";

/**
 * `POST /api/hooks/:repo`: GitHub, Gitea, GitLab push/tag events and the plain JSON form.
 * The body is taken raw (signatures are over the exact bytes) and capped; the same push
 * reported twice starts one run (see the dedupe key below).
 */
export function registerHookRoutes(app: FastifyInstance, ctx: DaemonContext): void {
  // Each delivery is counted once it is answered: by the outcome the route recorded, else by
  // its status (a refusal before or in the route, or an error nothing caught).
  const outcomes = new WeakMap<FastifyRequest, WebhookOutcome>();
  const answered = <T>(req: FastifyRequest, outcome: WebhookOutcome, reply: T): T => {
    outcomes.set(req, outcome);
    return reply;
  };
  app.register(async (scope) => {
    scope.addHook("onResponse", async (req, reply) => {
      ctx.metrics.webhookDelivery(outcomes.get(req) ?? (reply.statusCode >= 500 ? "error" : "refused"));
    });
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser("*", { parseAs: "buffer", bodyLimit: DEFAULT_MAX_BYTES }, (_req, body, done) =>
      done(null, body),
    );
    // Fastify refuses an oversized body before the route runs; answer in the route's own terms.
    scope.setErrorHandler((err: FastifyError, _req, reply) => {
      if (err.code === "FST_ERR_CTP_BODY_TOO_LARGE") {
        return sendError(
          reply,
          "SLIPWAY_E_HOOK_TOO_LARGE",
          `the body is larger than ${DEFAULT_MAX_BYTES} bytes, the most a webhook may send`,
        );
      }
      throw err;
    });
    scope.post<{ Params: { repo: string } }>(
      "/api/hooks/:repo",
      { bodyLimit: DEFAULT_MAX_BYTES },
      async (req, reply) => {
        const repo = ctx.config.repository(req.params.repo);
        if (!repo) {
          return sendError(reply, API_ERROR.HOOK_UNKNOWN_REPOSITORY, `no repository ${req.params.repo}`);
        }
        const rawBody = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
        const parsed = parseWebhook(
          { headers: req.headers, rawBody },
          { name: repo.name, secret: repo.webhookSecret?.reveal() },
        );
        if (!parsed.ok) return sendError(reply, parsed.code, parsed.message, parsed.status);
        const event = parsed.event;
        if (event.kind === "ping") return answered(req, "ping", reply.code(200).send({ ok: true, ping: true }));
        if (event.kind === "delete") {
          return answered(req, "ignored", reply.code(202).send({ ignored: `${event.ref} was deleted` }));
        }
        const result = await ctx.triggers.trigger(repo, {
          ref: event.ref,
          sha: event.sha,
          trigger: "push",
          actor: event.actor,
          // Forge events are keyed by (ref, commit): that covers redeliveries, a push also seen
          // by polling, and GitHub's create + push pair. The plain form keeps its delivery id,
          // so a fresh X-Request-Id triggers the same commit again (docs/webhooks.md).
          dedupeKey: event.forge === "plain" ? `hook:${event.deliveryId}` : commitKey,
        });
        if (!result.started) return answered(req, "ignored", reply.code(202).send({ ignored: result.reason }));
        const body = { run: result.run, duplicate: result.duplicate };
        return answered(
          req,
          result.duplicate ? "duplicate" : "started",
          reply.code(result.duplicate ? 200 : 201).send(body),
        );
      },
    );
  });
}
