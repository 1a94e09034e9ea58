import type { Config } from "../../config/index.js";
import { DockerEngine, type Engine } from "../../engine/index.js";
import { openStore, type Store } from "../../store/index.js";
import { buildApi } from "./api.js";
import type { DaemonContext } from "./context.js";
import { DeployGate } from "./deploy-gate.js";
import { LiveBus } from "./live-logs.js";
import { Metrics } from "./metrics.js";
import { Poller } from "./poller.js";
import { reconcileAfterRestart, Scheduler } from "./scheduler.js";
import { SourceCache } from "./sources.js";
import { Triggers } from "./triggers.js";

export interface RunningDaemon extends AsyncDisposable {
  ctx: DaemonContext;
  /** `http://host:port` the API listens on. */
  url: string;
  close(): Promise<void>;
}

/**
 * `slipway serve`: opens the store (migrating it), reconciles runs a dead predecessor left
 * running, then starts the queue, the pollers and the HTTP API. `close()` stops taking work,
 * cancels running runs (their cleanup runs) and closes the store.
 */
export async function startDaemon(
  config: Config,
  opts: { engine?: Engine; store?: Store; log?: (line: string) => void } = {},
): Promise<RunningDaemon> {
  const log = opts.log ?? (() => {});
  const engine = opts.engine ?? new DockerEngine();
  await engine.ping();
  const store = opts.store ?? (await openStore(config.store?.reveal(), { dataDir: config.dataDir }));
  await store.migrate();
  const bus = new LiveBus();
  const sources = new SourceCache(config.dataDir);
  const metrics = new Metrics();
  const gate = new DeployGate();
  const deps = {
    config,
    store,
    engine,
    sources,
    bus,
    gate,
    onStageFinished: (type: string, durationMs: number) => metrics.stageFinished(type, durationMs),
  };
  bus.on("event", (e) => {
    if (e.type === "run" && e.status !== "running") metrics.runFinished(e.status);
  });
  const reconciled = await reconcileAfterRestart(deps);
  if (reconciled.length > 0) log(`reconciled ${reconciled.length} run(s) interrupted by a restart`);
  const scheduler = new Scheduler(deps, config.concurrency);
  const triggers = new Triggers(store, sources, () => scheduler.kick());
  const poller = new Poller(config, store, sources, triggers, (repo, err) =>
    log(`poll ${repo}: ${(err as Error).message}`),
  );
  for (const repo of config.repositories) await store.upsertRepository({ name: repo.name, url: repo.url });
  const ctx: DaemonContext = { config, store, engine, bus, sources, scheduler, triggers, poller, metrics };
  const app = buildApi(ctx);
  await app.listen({ host: config.listen.host, port: config.listen.port });
  const address = app.server.address();
  const port = typeof address === "object" && address ? address.port : config.listen.port;
  scheduler.start();
  poller.start();
  // Log retention (`log_retention`): at start, then hourly. Runs and stages stay; only logs go.
  const prune = () =>
    store.pruneLogs(Date.now() - config.logRetentionSeconds * 1000).then(
      (n) => n > 0 && log(`log retention: removed ${n} stage log(s)`),
      (err: Error) => log(`log retention: ${err.message}`),
    );
  void prune();
  const pruner = setInterval(prune, 3_600_000);
  pruner.unref();
  log(
    `slipway serve: listening on http://${config.listen.host}:${port}, runner ${config.runnerId}, store ${store.engine}`,
  );
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      poller.stop();
      clearInterval(pruner);
      await scheduler.stop();
      await app.close();
      await store.close();
    })();
    return closing;
  };
  return { ctx, url: `http://${config.listen.host}:${port}`, close, [Symbol.asyncDispose]: close };
}
