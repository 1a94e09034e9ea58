import type { FastifyInstance, FastifyReply } from "fastify";
import { ROUTES } from "../../api-schema/index.js";
import type { RepositoryConfig } from "../../config/index.js";
import { isSlipwayError } from "../../core/index.js";
import type { DeploymentRow } from "../../store/index.js";
import { actorOf } from "./api-auth.js";
import { parseDecimal } from "./api-contract.js";
import { API_ERROR, sendError } from "./api-errors.js";
import type { DaemonContext } from "./context.js";

type EnvParams = { repo: string; env: string };

/**
 * The status of a refused environment operation, by its `deploy/` (or containment, compose,
 * pipeline) code. The body is the error's own `{error, message}`: the CLI prints the code the
 * executor raised, not a generic API one (docs/api.md lists them).
 */
const STATUS: Record<string, number> = {
  SLIPWAY_E_DEPLOY_UNKNOWN_ENVIRONMENT: 404,
  SLIPWAY_E_DEPLOY_VERSION_UNKNOWN: 404,
  SLIPWAY_E_DEPLOY_LOCKED: 409,
  SLIPWAY_E_DEPLOY_NOT_PAUSED: 409,
  SLIPWAY_E_DEPLOY_NO_PREVIOUS: 409,
  SLIPWAY_E_DEPLOY_AWAITING_CONFIRM: 409,
  SLIPWAY_E_DEPLOY_ROLLBACK_TOO_OLD: 409,
  SLIPWAY_E_DEPLOY_OUTSIDE_WINDOW: 409,
  SLIPWAY_E_DEPLOY_CANCELLED: 503,
};

/** Environments of a repository: list, status, history, and deploy / confirm / rollback. */
export function registerEnvironmentRoutes(app: FastifyInstance, ctx: DaemonContext): void {
  const repoOf = (name: string, reply: FastifyReply): RepositoryConfig | undefined => {
    const repo = ctx.config.repository(name);
    if (!repo) sendError(reply, API_ERROR.NOT_FOUND, `no repository ${name}`);
    return repo;
  };

  app.get<{ Params: { repo: string } }>(
    "/api/repos/:repo/environments",
    { schema: ROUTES.listEnvironments },
    async (req, reply) => {
      const repo = repoOf(req.params.repo, reply);
      if (!repo) return reply;
      return { environments: await ctx.environments.list(repo) };
    },
  );

  app.get<{ Params: EnvParams }>(
    "/api/repos/:repo/environments/:env",
    { schema: ROUTES.environmentStatus },
    async (req, reply) => {
      const repo = repoOf(req.params.repo, reply);
      if (!repo) return reply;
      return refused(reply, () => ctx.environments.status(repo, req.params.env));
    },
  );

  app.get<{ Params: EnvParams; Querystring: { limit?: string } }>(
    "/api/repos/:repo/environments/:env/deployments",
    { schema: ROUTES.listDeployments },
    async (req, reply) => {
      const repo = repoOf(req.params.repo, reply);
      if (!repo) return reply;
      const limit = req.query.limit === undefined ? 20 : parseDecimal(req.query.limit, 1, 200);
      if (limit === undefined) return sendError(reply, API_ERROR.BAD_QUERY, "limit must be an integer from 1 to 200");
      return { deployments: await ctx.environments.history(repo, req.params.env, limit) };
    },
  );

  app.get<{ Params: EnvParams & { id: string } }>(
    "/api/repos/:repo/environments/:env/deployments/:id",
    { schema: ROUTES.getDeployment },
    async (req, reply) => {
      const repo = repoOf(req.params.repo, reply);
      if (!repo) return reply;
      const deployment = await ctx.environments.deployment(repo, req.params.env, req.params.id);
      if (!deployment)
        return sendError(reply, API_ERROR.NOT_FOUND, `no deployment ${req.params.id} of ${req.params.env}`);
      return { deployment };
    },
  );

  const operation = <B>(
    path: string,
    schema: (typeof ROUTES)["deployEnvironment" | "confirmEnvironment" | "rollbackEnvironment"],
    action: string,
    run: (repo: RepositoryConfig, env: string, body: B, actor: string) => Promise<DeploymentRow>,
  ) =>
    app.post<{ Params: EnvParams; Body: B }>(path, { schema }, async (req, reply) => {
      const repo = repoOf(req.params.repo, reply);
      if (!repo) return reply;
      const actor = actorOf(req);
      return refused(reply, async () => {
        const deployment = await run(repo, req.params.env, req.body as B, actor);
        await ctx.store.addAuditEvent({
          actor,
          action,
          target: `${repo.name}/${req.params.env}`,
          detail: { deployment: deployment.id, version: deployment.version },
        });
        reply.code(202);
        return { deployment };
      });
    });

  type DeployBody = { version: string; waitSeconds?: number; overrideWindow?: boolean };
  type WaitBody = { version?: string; waitSeconds?: number } | null | undefined;
  operation<DeployBody>(
    "/api/repos/:repo/environments/:env/deploy",
    ROUTES.deployEnvironment,
    "env-deploy",
    (repo, env, body, actor) =>
      ctx.environments.deploy(repo, env, body.version, {
        actor,
        waitSeconds: body.waitSeconds,
        overrideWindow: body.overrideWindow === true,
      }),
  );
  operation<WaitBody>(
    "/api/repos/:repo/environments/:env/confirm",
    ROUTES.confirmEnvironment,
    "env-confirm",
    (repo, env, body, actor) => ctx.environments.confirm(repo, env, { actor, waitSeconds: body?.waitSeconds }),
  );
  operation<WaitBody>(
    "/api/repos/:repo/environments/:env/rollback",
    ROUTES.rollbackEnvironment,
    "env-rollback",
    (repo, env, body, actor) =>
      ctx.environments.rollback(repo, env, body?.version, { actor, waitSeconds: body?.waitSeconds }),
  );
}

/** Runs `fn`; a coded refusal becomes its own `{error, message}` answer (422 unless listed above). */
async function refused<T>(reply: FastifyReply, fn: () => Promise<T>): Promise<T | FastifyReply> {
  try {
    return await fn();
  } catch (err) {
    if (!isSlipwayError(err)) throw err;
    const status = STATUS[err.code] ?? 422;
    return reply.code(status).send(err.toJSON());
  }
}
