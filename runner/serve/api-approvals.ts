import type { FastifyInstance } from "fastify";
import { ROUTES } from "../../api-schema/index.js";
import { actorOf } from "./api-auth.js";
import { API_ERROR, type ApiErrorCode, sendError } from "./api-errors.js";
import type { DaemonContext } from "./context.js";

type Params = { id: string };
type ApproveBody = { comment?: string; overrideWindow?: boolean } | null | undefined;
type RejectBody = { comment?: string } | null | undefined;

/**
 * `POST /api/runs/:id/approve` and `/reject`: the decisions on a waiting run's gate. The
 * decision is written atomically (a second approve of the same gate is a conflict, not a
 * second approval), audited with the token's actor, and the waiting run is moved on at once.
 */
export function registerApprovalRoutes(app: FastifyInstance, ctx: DaemonContext): void {
  const waitingGate = async (id: string) => {
    const run = await ctx.store.getRun(id);
    if (!run) return { error: { code: API_ERROR.NOT_FOUND as ApiErrorCode, message: `no run ${id}` } };
    const gate =
      run.status === "waiting" && run.resumeFromStage
        ? await ctx.store.approvals.getGate(run.id, run.resumeFromStage)
        : undefined;
    if (!gate?.waitingFor) {
      const message = `run ${run.id} is ${run.status}, not waiting before a deploy`;
      return { error: { code: API_ERROR.CONFLICT as ApiErrorCode, message } };
    }
    return { run, gate, error: undefined };
  };

  app.post<{ Params: Params; Body: ApproveBody }>(
    "/api/runs/:id/approve",
    { schema: ROUTES.approveRun },
    async (req, reply) => {
      const found = await waitingGate(req.params.id);
      if (found.error) return sendError(reply, found.error.code, found.error.message);
      const { run, gate } = found;
      const actor = actorOf(req);
      const comment = req.body?.comment;
      const override = req.body?.overrideWindow === true;
      const target = { stage: gate.stage, environment: gate.environment };
      if (gate.waitingFor === "window" && !override) {
        const opens = gate.windowOpensAt ? ` (it opens at ${new Date(gate.windowOpensAt).toISOString()})` : "";
        return sendError(
          reply,
          API_ERROR.WINDOW_CLOSED,
          `run ${run.id} waits for the deploy window of ${gate.environment}${opens}; to deploy now, approve with overrideWindow: true (slipway approve ${run.id} --override-window)`,
        );
      }
      if (gate.waitingFor === "approval") {
        const decided = await ctx.store.approvals.decide(run.id, gate.stage, {
          state: "approved",
          actor,
          comment,
          from: ["pending"],
        });
        if (!decided) return sendError(reply, API_ERROR.CONFLICT, `the deploy of run ${run.id} was decided already`);
        await ctx.store.addAuditEvent({
          actor,
          action: "approve",
          target: run.id,
          detail: { ...target, comment: comment ?? null },
        });
      }
      if (override) {
        await ctx.store.approvals.overrideWindow(run.id, gate.stage, actor);
        // Deploying outside the agreed hours is the kind of thing an audit log is for.
        await ctx.store.addAuditEvent({
          actor,
          action: "override-window",
          target: run.id,
          detail: { ...target, comment: comment ?? null },
        });
      }
      ctx.bus.publish({ type: "run", runId: run.id, status: run.status });
      await ctx.waiting.settle(run);
      return { run: await ctx.store.getRun(run.id), approval: await ctx.store.approvals.getGate(run.id, gate.stage) };
    },
  );

  app.post<{ Params: Params; Body: RejectBody }>(
    "/api/runs/:id/reject",
    { schema: ROUTES.rejectRun },
    async (req, reply) => {
      const found = await waitingGate(req.params.id);
      if (found.error) return sendError(reply, found.error.code, found.error.message);
      const { run, gate } = found;
      const actor = actorOf(req);
      const comment = req.body?.comment;
      // A run waiting for its window may be rejected too, approved or not: nobody wants it deployed.
      const decided = await ctx.store.approvals.decide(run.id, gate.stage, {
        state: "rejected",
        actor,
        comment,
        from: ["pending", "approved", "not_required"],
      });
      if (!decided) return sendError(reply, API_ERROR.CONFLICT, `the deploy of run ${run.id} was decided already`);
      await ctx.store.addAuditEvent({
        actor,
        action: "reject",
        target: run.id,
        detail: { stage: gate.stage, environment: gate.environment, comment: comment ?? null },
      });
      await ctx.waiting.settle(run);
      return { run: await ctx.store.getRun(run.id), approval: await ctx.store.approvals.getGate(run.id, gate.stage) };
    },
  );
}
