import { EventEmitter } from "node:events";
import type { FastifyInstance } from "fastify";
import { ROUTES, type RunEventJson } from "../../api-schema/index.js";
import type { DaemonContext } from "./context.js";
import type { DeploymentLiveEvent } from "./deployment-events.js";
import type { LiveEvent } from "./live-logs.js";

/**
 * Run and stage changes for every overview at once. One listener on the bus reads a changed
 * run (and its stages) from the store once, however many browsers watch, and coalesces bursts
 * (a run's stage ending and the next starting) into one read per run per `delayMs`.
 */
export class RunFeed extends EventEmitter<{ update: [RunEventJson] }> {
  private readonly dirty = new Set<string>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ctx: Pick<DaemonContext, "store" | "bus">,
    private readonly delayMs = 50,
  ) {
    super();
    this.setMaxListeners(0);
    ctx.bus.on("event", this.onEvent);
  }

  private readonly onEvent = (e: LiveEvent) => {
    if (e.type === "log") return;
    this.dirty.add(e.runId);
    this.timer ??= setTimeout(() => void this.flush(), this.delayMs);
  };

  private async flush(): Promise<void> {
    this.timer = undefined;
    const ids = [...this.dirty];
    this.dirty.clear();
    if (this.listenerCount("update") === 0) return;
    for (const id of ids) {
      const run = await this.ctx.store.getRun(id).catch(() => undefined);
      if (!run) continue;
      const stages = await this.ctx.store.listStages(id).catch(() => []);
      this.emit("update", { run, stages });
    }
  }

  close(): void {
    this.ctx.bus.off("event", this.onEvent);
    if (this.timer) clearTimeout(this.timer);
  }
}

/**
 * `GET /api/events`: server-sent events, `event: run` with `{run, stages}` on every change of a
 * run, and `deployment`, `batch` and `lock` as the deploy executor records them (sent at once,
 * in the order the store took them; api-schema/ has each message's schema).
 */
export function registerEventRoutes(app: FastifyInstance, ctx: DaemonContext): void {
  const feed = new RunFeed(ctx);
  const open = new Set<() => void>();
  // Closing the daemon ends every open stream first, so the server's close does not wait on them.
  app.addHook("preClose", async () => {
    for (const stop of [...open]) stop();
  });
  app.addHook("onClose", async () => feed.close());
  app.get("/api/events", { schema: ROUTES.events }, (req, reply) => {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
    // A comment at once (so the client knows it is connected) and every 15 s (so proxies keep it open).
    res.write(": connected\n\n");
    const keepAlive = setInterval(() => res.write(": keep-alive\n\n"), 15_000);
    const onUpdate = (update: RunEventJson) => {
      res.write(`event: run\nid: ${update.run.id}\ndata: ${JSON.stringify(update)}\n\n`);
    };
    feed.on("update", onUpdate);
    const onDeployment = (e: DeploymentLiveEvent) => {
      res.write(`event: ${e.type}\ndata: ${JSON.stringify(e.data)}\n\n`);
    };
    ctx.bus.on("deployment", onDeployment);
    const stop = () => {
      open.delete(stop);
      clearInterval(keepAlive);
      feed.off("update", onUpdate);
      ctx.bus.off("deployment", onDeployment);
      res.end();
    };
    open.add(stop);
    req.raw.on("close", stop);
  });
}
