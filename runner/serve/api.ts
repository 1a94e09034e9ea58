import fastifySwagger from "@fastify/swagger";
import Fastify, { type FastifyInstance, type FastifyServerOptions } from "fastify";
import {
  DeploymentBatchEvent,
  DeploymentEvent,
  EnvironmentLockEvent,
  ROUTES,
  RunEvent,
} from "../../api-schema/index.js";
import { registerAdminRoutes } from "./api-admin.js";
import { registerApprovalRoutes } from "./api-approvals.js";
import { actorOf, authGuard } from "./api-auth.js";
import { clientErrorHandler, frameworkErrors, installContract } from "./api-contract.js";
import { registerEnvironmentRoutes } from "./api-environments.js";
import { API_ERROR, sendError } from "./api-errors.js";
import { registerEventRoutes } from "./api-events.js";
import { registerHookRoutes } from "./api-hooks.js";
import { registerNotificationRoutes } from "./api-notifications.js";
import { registerRunRoutes } from "./api-runs.js";
import type { DaemonContext } from "./context.js";
import { registerDashboard } from "./dashboard.js";

export interface BuildApiOptions {
  /** Hands fastify an already bound server (see `bindListen`); without it fastify makes its own. */
  serverFactory?: FastifyServerOptions["serverFactory"];
  /** Where errors behind a 500 are logged (their details never go to the client). */
  log?: (line: string) => void;
}

/**
 * The HTTP API (JSON under /api, documented in docs/api.md and published as OpenAPI at
 * /api/openapi.json), health, metrics and the dashboard at `/`. Every route declares its
 * schemas (api-schema/): fastify validates requests and serialises answers with them.
 */
export async function buildApi(ctx: DaemonContext, opts: BuildApiOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: false,
    // No coercion (a JSON `"ref": 1` is refused, not turned into "1") and no silent removal
    // of unknown keys: a body key the API does not know is an error, not ignored.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
    ...(opts.serverFactory ? { serverFactory: opts.serverFactory } : {}),
    clientErrorHandler,
    frameworkErrors,
  });
  installContract(app, (err, req) => {
    ctx.metrics.unexpectedError("api");
    opts.log?.(`${API_ERROR.INTERNAL}: ${req.method} ${req.url.slice(0, 200)}: ${err.stack ?? err.message}`);
  });
  app.addHook("onRequest", authGuard(ctx));
  await app.register(fastifySwagger, {
    openapi: {
      openapi: "3.0.3",
      info: { title: "Slipway", description: "HTTP API of `slipway serve` (docs/api.md)", version: "1" },
      components: {
        securitySchemes: { bearer: { type: "http", scheme: "bearer" } },
        // The messages of /api/events (a text/event-stream, which OpenAPI cannot type per message).
        // They are JSON Schema, like the routes': swagger converts both to OpenAPI 3.0's dialect
        // (`type: [x, "null"]` → `nullable`), but its types want that dialect already.
        schemas: { RunEvent, DeploymentEvent, DeploymentBatchEvent, EnvironmentLockEvent } as unknown as Record<
          string,
          Record<string, never>
        >,
      },
      security: [{ bearer: [] }],
    },
  });

  app.get("/healthz", { schema: ROUTES.health }, async (_req, reply) => {
    const checks = await Promise.all([
      ctx.store.ping().then(
        () => "ok",
        (e: Error) => e.message,
      ),
      ctx.engine.ping().then(
        () => "ok",
        (e: Error) => e.message,
      ),
    ]);
    const [store, engine] = checks;
    const ok = store === "ok" && engine === "ok";
    return reply
      .code(ok ? 200 : 503)
      .send({ status: ok ? "ok" : "degraded", store, engine, runner: ctx.config.runnerId });
  });

  app.get("/metrics", { schema: ROUTES.metrics }, async (_req, reply) => {
    reply.header("content-type", ctx.metrics.contentType);
    return ctx.metrics.render();
  });

  app.get("/api/openapi.json", { schema: { hide: true } }, async () => app.swagger());

  app.get("/api/repos", { schema: ROUTES.listRepos }, async () => ({
    repositories: ctx.config.repositories.map((r) => ({
      name: r.name,
      url: r.url,
      poll: r.pollSeconds,
      branches: [...r.branches],
      tags: r.tags,
    })),
  }));

  app.get<{ Params: { repo: string } }>("/api/repos/:repo/refs", { schema: ROUTES.listRefs }, async (req, reply) => {
    const repo = ctx.config.repository(req.params.repo);
    if (!repo) return sendError(reply, API_ERROR.NOT_FOUND, `no repository ${req.params.repo}`);
    const refs = await ctx.sources.remoteRefs(repo);
    const pick = (prefix: string) =>
      refs
        .filter((r) => r.ref.startsWith(prefix))
        .map((r) => ({ name: r.ref.slice(prefix.length), ref: r.ref, sha: r.sha }));
    return { branches: pick("refs/heads/"), tags: pick("refs/tags/") };
  });

  app.post<{ Params: { repo: string }; Body: { ref: string; sha?: string } }>(
    "/api/repos/:repo/runs",
    { schema: ROUTES.triggerRun },
    async (req, reply) => {
      const repo = ctx.config.repository(req.params.repo);
      if (!repo) return sendError(reply, API_ERROR.NOT_FOUND, `no repository ${req.params.repo}`);
      const { ref, sha } = req.body;
      const result = await ctx.triggers.trigger(repo, { ref, sha, trigger: "manual", actor: actorOf(req) });
      if (!result.started) return sendError(reply, API_ERROR.BAD_REF, result.reason);
      await ctx.store.addAuditEvent({
        actor: actorOf(req),
        action: "trigger",
        target: `${repo.name}@${result.run.ref}`,
        detail: { run: result.run.id },
      });
      return reply.code(201).send({ run: result.run });
    },
  );

  registerRunRoutes(app, ctx);
  registerEnvironmentRoutes(app, ctx);
  registerApprovalRoutes(app, ctx);
  registerEventRoutes(app, ctx);
  registerAdminRoutes(app, ctx);
  registerHookRoutes(app, ctx);
  registerNotificationRoutes(app, ctx);
  await registerDashboard(app);
  return app;
}
