import { Readable } from "node:stream";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { ROUTES } from "../../api-schema/index.js";
import type { FlowKind } from "../../pipelines/index.js";
import type { RunStatus } from "../../store/index.js";
import { actorOf } from "./api-auth.js";
import { parseDecimal } from "./api-contract.js";
import { API_ERROR, sendError } from "./api-errors.js";
import { registerArtifactRoutes, testReports } from "./artifacts.js";
import type { DaemonContext } from "./context.js";
import type { LiveEvent } from "./live-logs.js";
import { SETUP_LOG } from "./run-executor.js";

type RunParams = { id: string };

type LogParams = { id: string; stage: string };

/** Runs: list, detail, logs (whole or live over SSE), cancel, retry. */
export function registerRunRoutes(app: FastifyInstance, ctx: DaemonContext): void {
  app.get<{ Querystring: Record<string, string | undefined> }>(
    "/api/runs",
    { schema: ROUTES.listRuns },
    async (req, reply) => {
      const q = req.query;
      const limit = q.limit === undefined ? 50 : parseDecimal(q.limit, 1, 500);
      if (limit === undefined) {
        return sendError(reply, API_ERROR.BAD_QUERY, "limit must be an integer from 1 to 500");
      }
      try {
        const page = await ctx.store.listRuns({
          repository: q.repository,
          status: q.status as RunStatus | undefined,
          ref: q.ref,
          flowKind: q.flowKind as FlowKind | undefined,
          limit,
          cursor: q.cursor,
        });
        // Pipeline snapshots are not in lists (the store does not read them: null here, detail
        // only), so a page stays small however big the pipeline files are.
        if (q.include !== "stages") return page;
        // The overview's table in one request: each run's stages, keyed by run id.
        const lists = await Promise.all(page.runs.map((r) => ctx.store.listStages(r.id)));
        return { ...page, stages: Object.fromEntries(page.runs.map((r, i) => [r.id, lists[i]])) };
      } catch (err) {
        return sendError(reply, API_ERROR.BAD_QUERY, (err as Error).message);
      }
    },
  );

  app.get<{ Params: RunParams }>("/api/runs/:id", { schema: ROUTES.getRun }, async (req, reply) => {
    const run = await ctx.store.getRun(req.params.id);
    if (!run) return sendError(reply, API_ERROR.NOT_FOUND, `no run ${req.params.id}`);
    const stages = await ctx.store.listStages(run.id);
    const artifacts = await ctx.store.listArtifacts(run.id);
    const approvals = await ctx.store.approvals.listGates(run.id);
    return { run, stages, artifacts, tests: await testReports(ctx.config.dataDir, run.id, artifacts), approvals };
  });

  app.get<{ Params: LogParams; Querystring: { offset?: string; follow?: string } }>(
    "/api/runs/:id/logs/:stage",
    { schema: ROUTES.getLog },
    async (req, reply) => {
      const run = await ctx.store.getRun(req.params.id);
      if (!run) return sendError(reply, API_ERROR.NOT_FOUND, `no run ${req.params.id}`);
      const resume = req.headers["last-event-id"] ?? req.query.offset ?? "0";
      const offset = parseDecimal(resume, 0, Number.MAX_SAFE_INTEGER);
      if (offset === undefined) {
        return sendError(
          reply,
          API_ERROR.BAD_QUERY,
          "offset (or Last-Event-ID) must be a non-negative decimal byte offset",
        );
      }
      if (req.query.follow === "true" || req.query.follow === "1")
        return followLog(ctx, req, reply, req.params, offset);
      const size = await ctx.store.logSize(run.id, req.params.stage);
      reply.header("content-type", "text/plain; charset=utf-8").header("x-log-size", String(size));
      // Streamed chunk by chunk from the store: a 100 MB log is never held in memory.
      return reply.send(asStream(ctx.store.readLog(run.id, req.params.stage, offset)));
    },
  );

  app.post<{ Params: RunParams }>("/api/runs/:id/cancel", { schema: ROUTES.cancelRun }, async (req, reply) => {
    const run = await ctx.store.getRun(req.params.id);
    if (!run) return sendError(reply, API_ERROR.NOT_FOUND, `no run ${req.params.id}`);
    if (run.status !== "queued" && run.status !== "running" && run.status !== "waiting") {
      return sendError(reply, API_ERROR.CONFLICT, `run ${run.id} already ${run.status}`);
    }
    await ctx.store.addAuditEvent({ actor: actorOf(req), action: "cancel", target: run.id });
    if (run.status === "waiting") {
      // Parked in the store, not in the scheduler: its gate is closed and it ends here.
      const ended = await ctx.waiting.cancel(run, actorOf(req));
      return reply.code(202).send({ cancelled: ended !== undefined, run: await ctx.store.getRun(run.id) });
    }
    const cancelled = await ctx.scheduler.cancel(run.id);
    return reply.code(202).send({ cancelled, run: await ctx.store.getRun(run.id) });
  });

  app.post<{ Params: RunParams; Body: { fromStage?: string } | null | undefined }>(
    "/api/runs/:id/retry",
    { schema: ROUTES.retryRun },
    async (req, reply) => {
      const original = await ctx.store.getRun(req.params.id);
      if (!original) return sendError(reply, API_ERROR.NOT_FOUND, `no run ${req.params.id}`);
      if (original.status === "queued" || original.status === "running" || original.status === "waiting") {
        return sendError(reply, API_ERROR.CONFLICT, `run ${original.id} is still ${original.status}`);
      }
      let fromStage = req.body?.fromStage;
      const stages = await ctx.store.listStages(original.id);
      if (fromStage === "failed")
        fromStage = stages.find((s) => s.status === "failed" || s.status === "cancelled")?.name;
      if (req.body?.fromStage && !stages.some((s) => s.name === fromStage)) {
        return sendError(
          reply,
          API_ERROR.BAD_STAGE,
          `run ${original.id} has no stage ${req.body.fromStage} to retry from`,
        );
      }
      const { run } = await ctx.store.createRun({
        repository: original.repository,
        ref: original.ref,
        sha: original.sha,
        flowKind: original.flowKind,
        trigger: "retry",
        actor: actorOf(req),
        retryOf: original.id,
        retryFromStage: fromStage,
        pipelineSnapshot: original.pipelineSnapshot ?? undefined,
      });
      await ctx.store.addAuditEvent({
        actor: actorOf(req),
        action: "retry",
        target: original.id,
        detail: { run: run.id, fromStage: fromStage ?? null },
      });
      ctx.scheduler.kick();
      ctx.bus.publish({ type: "run", runId: run.id, status: run.status });
      return reply.code(201).send({ run, fromStage: fromStage ?? null });
    },
  );

  registerArtifactRoutes(app, ctx);
}

async function* textChunks(source: AsyncIterable<string>): AsyncGenerator<Buffer> {
  for await (const text of source) yield Buffer.from(text);
}

function asStream(source: AsyncIterable<string>): Readable {
  // Readable.from keeps backpressure: the next chunk is read from the store when the socket drains.
  return Readable.from(textChunks(source));
}

/**
 * Server-sent events of one stage's log: the stored part from `offset`, then live appends,
 * each event's id the byte offset after it, so a client reconnecting with Last-Event-ID
 * resumes exactly where it stopped. Ends with an `end` event once the stage (or run) is over.
 */
async function followLog(
  ctx: DaemonContext,
  req: FastifyRequest,
  reply: FastifyReply,
  params: LogParams,
  from: number,
) {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
  let offset = from;
  let closed = false;
  const queue: LiveEvent[] = [];
  let wake: (() => void) | undefined;
  const onEvent = (e: LiveEvent) => {
    if (e.runId !== params.id) return;
    queue.push(e);
    wake?.();
  };
  ctx.bus.on("event", onEvent);
  req.raw.on("close", () => {
    closed = true;
    wake?.();
  });
  const send = (text: string, next: number) => {
    res.write(`id: ${next}\ndata: ${JSON.stringify({ offset: next - Buffer.byteLength(text), text })}\n\n`);
  };
  try {
    for await (const text of ctx.store.readLog(params.id, params.stage, offset)) {
      if (closed) return;
      offset += Buffer.byteLength(text);
      send(text, offset);
    }
    while (!closed) {
      const event = queue.shift();
      if (!event) {
        if (await isOver(ctx, params)) break;
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, 1000).unref();
        });
        wake = undefined;
        continue;
      }
      if (
        event.type === "log" &&
        event.stage === params.stage &&
        event.offset + Buffer.byteLength(event.text) > offset
      ) {
        // Appends that raced with the stored read are skipped by offset, never sent twice.
        const skip = Math.max(0, offset - event.offset);
        const text = Buffer.from(event.text).subarray(skip).toString();
        offset = event.offset + Buffer.byteLength(event.text);
        send(text, offset);
      }
    }
    if (!closed) res.write(`event: end\ndata: ${JSON.stringify({ offset })}\n\n`);
  } finally {
    ctx.bus.off("event", onEvent);
    res.end();
  }
}

/** A stage's log is complete once the stage left `running` (the setup log: once the run ended). */
async function isOver(ctx: DaemonContext, params: LogParams): Promise<boolean> {
  const run = await ctx.store.getRun(params.id);
  if (!run || (run.status !== "queued" && run.status !== "running")) return true;
  if (params.stage === SETUP_LOG) return false;
  const stage = (await ctx.store.listStages(params.id)).find((s) => s.name === params.stage);
  return stage !== undefined && stage.status !== "running" && stage.status !== "pending";
}
