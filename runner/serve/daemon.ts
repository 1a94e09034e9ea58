import type { Server } from "node:http";
import type { Config } from "../../config/index.js";
import { recoverInterrupted } from "../../deploy/index.js";
import { DockerEngine, type Engine } from "../../engine/index.js";
import { acquireRunnerLock, openStore, probeRunnerLock, type Store } from "../../store/index.js";
import { Notifier, observeDeployments } from "../notify/index.js";
import { buildApi } from "./api.js";
import type { DaemonContext } from "./context.js";
import { publishDeployments } from "./deployment-events.js";
import { EnvironmentOps } from "./environment-ops.js";
import { bindListen, closeServer, openForRequests, takeOver } from "./listen.js";
import { LiveBus } from "./live-logs.js";
import { Metrics } from "./metrics.js";
import { Poller } from "./poller.js";
import { installProcessGuard } from "./process-guard.js";
import { reconcileAfterRestart, Scheduler } from "./scheduler.js";
import { SourceCache } from "./sources.js";
import { Triggers } from "./triggers.js";
import { WaitingRuns } from "./waiting-runs.js";

export interface RunningDaemon extends AsyncDisposable {
  ctx: DaemonContext;
  /** `http://host:port` the API listens on. */
  url: string;
  /**
   * Stops the daemon. Without options, running runs are cancelled at once; with `graceSeconds`
   * they may go on for that long first (`hurry` aborting cuts the wait short). Either way
   * the cut runs are cleaned up and recorded interrupted before the store closes.
   */
  close(opts?: { graceSeconds?: number; hurry?: AbortSignal }): Promise<void>;
}

/**
 * `slipway serve`. The order is what keeps a mistaken second start harmless:
 * 1. the engine answers and no live daemon holds this data dir's lock (read only: nothing is
 *    created yet; a refusal is SLIPWAY_E_STORE_LOCKED naming the holder's pid and host);
 * 2. the listen address is bound (SLIPWAY_E_SERVE_ADDRESS_IN_USE / _LISTEN otherwise), still
 *    before the data dir exists;
 * 3. the lock is taken for the process's life (the data dir is created here), for PostgreSQL
 *    also an advisory lock on the runner id;
 * 4. only then the store is opened and migrated and runs a dead predecessor left running are
 *    reconciled; then the queue, the pollers and the API start.
 * `close()` stops taking work, cancels running runs (after `graceSeconds`, if given; their
 * cleanup runs and they are recorded interrupted), closes the store and releases the lock.
 */
export async function startDaemon(
  config: Config,
  opts: { engine?: Engine; store?: Store; log?: (line: string) => void } = {},
): Promise<RunningDaemon> {
  const log = opts.log ?? (() => {});
  const engine = opts.engine ?? new DockerEngine();
  await engine.ping();
  const storeUrl = config.store?.reveal();
  const lockOptions = { dataDir: config.dataDir, runnerId: config.runnerId };
  if (!opts.store) probeRunnerLock(storeUrl, lockOptions);
  const server = await bindListen(config.listen);
  const metrics = new Metrics();
  const undo: Array<() => Promise<void>> = [async () => closeServer(server)];
  const unwind = async () => {
    for (const step of undo.splice(0).reverse()) await step().catch(() => {});
  };
  // Set by close(): how the scheduler's undo step stops (grace for running runs, or none).
  const shutdown: ShutdownOptions = { graceMs: 0 };
  let ready: { ctx: DaemonContext; port: number };
  try {
    if (!opts.store) {
      const lock = await acquireRunnerLock(storeUrl, lockOptions);
      undo.push(() => lock.release());
    }
    const uninstall = installProcessGuard({ log, count: (source) => metrics.unexpectedError(source) });
    undo.push(async () => uninstall());
    ready = await assemble(config, engine, server, metrics, opts.store, log, undo, shutdown);
  } catch (err) {
    await unwind();
    throw err;
  }
  const { port } = ready;
  log(
    `slipway serve: listening on http://${config.listen.host}:${port}, runner ${config.runnerId}, store ${ready.ctx.store.engine}`,
  );
  let closing: Promise<void> | undefined;
  const close = (closeOpts: { graceSeconds?: number; hurry?: AbortSignal } = {}) => {
    if (!closing) {
      shutdown.graceMs = (closeOpts.graceSeconds ?? 0) * 1000;
      shutdown.hurry = closeOpts.hurry;
      closing = unwind();
    }
    return closing;
  };
  return {
    ctx: ready.ctx,
    url: `http://${config.listen.host}:${port}`,
    close,
    [Symbol.asyncDispose]: () => close(),
  };
}

const FINISHED = new Set(["success", "failed", "cancelled"]);

/** How close() wants running runs treated: `graceMs` to go on, `hurry` to cut that short. */
interface ShutdownOptions {
  graceMs: number;
  hurry?: AbortSignal;
}

/** Steps 4 on: everything after the lock is held and the address bound; pushes its own undo steps. */
async function assemble(
  config: Config,
  engine: Engine,
  server: Server,
  metrics: Metrics,
  givenStore: Store | undefined,
  log: (line: string) => void,
  undo: Array<() => Promise<void>>,
  shutdown: ShutdownOptions,
): Promise<{ ctx: DaemonContext; port: number }> {
  const store = givenStore ?? (await openStore(config.store?.reveal(), { dataDir: config.dataDir }));
  undo.push(() => store.close());
  await store.migrate();
  // A deployment a dead runner left running: the environment kept serving; record it so
  // `confirm` or `rollback` can finish the job.
  for (const d of await recoverInterrupted(store.deployments, config.runnerId)) {
    log(
      `deployment of ${d.version} to ${d.repository}/${d.environment} was interrupted by a restart: confirm or roll back`,
    );
  }
  // Deploy stages this runner's previous life left in the deploy queue: their runs are
  // reconciled below, so their places go now rather than when their leases expire.
  const dropped = await store.deployQueue.leaveAll(config.runnerId);
  if (dropped > 0) log(`left ${dropped} deploy queue place(s) held by a previous start`);
  const bus = new LiveBus();
  const sources = new SourceCache(config.dataDir);
  // Before anything can run, so the first run's events are heard; it only queues (runs never wait on it).
  const notifier = new Notifier({ config, store, bus, log });
  notifier.start();
  // Undone after the scheduler and the API, so the last runs' final events are stored as pending
  // deliveries (the next start sends them); attempts in flight are cut and stay pending.
  undo.push(() => notifier.stop());
  // Closed after the API and before the store: rollouts it runs are cut and recorded interrupted.
  // Every deployment's end (deploy stages, `slipway deploy`/`rollback` through the API) is heard.
  // Every deployment recorded, batch, and lock taken or freed goes out on /api/events too.
  const deployments = publishDeployments(
    observeDeployments(store.deployments, (row) => notifier.deploymentFinished(row)),
    (e) => bus.publishDeployment(e),
  );
  const environments = new EnvironmentOps({ config, store, engine, sources, log, deployments });
  undo.push(() => environments.close());
  const deps = {
    config,
    store,
    engine,
    sources,
    bus,
    deployments,
    onStageFinished: (type: string, durationMs: number) => metrics.stageFinished(type, durationMs),
  };
  bus.on("event", (e) => {
    // Only an ended run is "finished": queued, running and waiting are on the way.
    if (e.type === "run" && FINISHED.has(e.status)) metrics.runFinished(e.status);
  });
  const reconciled = await reconcileAfterRestart(deps);
  if (reconciled.length > 0) log(`reconciled ${reconciled.length} run(s) interrupted by a restart`);
  // They failed: said on the bus like any other end, so their run.failed notifications go out.
  for (const run of reconciled) bus.publish({ type: "run", runId: run.id, status: "failed" });
  const scheduler = new Scheduler(deps, config.concurrency, 1000, {
    log,
    count: (source) => metrics.unexpectedError(source),
  });
  metrics.watchQueue(async () => ({
    queued: (await store.listRunsByStatus("queued")).length,
    running: scheduler.running,
  }));
  // Waiting runs are not reconciled as failed: they hold nothing but their row, and resume.
  const waiting = new WaitingRuns({
    store,
    bus,
    runnerId: config.runnerId,
    kick: () => scheduler.kick(),
    log,
  });
  const triggers = new Triggers(store, sources, (run) => {
    bus.publish({ type: "run", runId: run.id, status: run.status });
    scheduler.kick();
  });
  const poller = new Poller(config, store, sources, triggers, (repo, err) =>
    log(`poll ${repo}: ${(err as Error).message}`),
  );
  for (const repo of config.repositories) await store.upsertRepository({ name: repo.name, url: repo.url });
  const ctx: DaemonContext = {
    config,
    store,
    engine,
    bus,
    sources,
    scheduler,
    triggers,
    poller,
    metrics,
    notifier,
    environments,
    waiting,
  };
  const app = await buildApi(ctx, { serverFactory: (handler) => takeOver(server, handler), log });
  await app.ready();
  openForRequests(server);
  undo.push(() => app.close());
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : config.listen.port;
  scheduler.start();
  // Undone after the poller and before the API: during the shutdown grace the API still answers.
  undo.push(() => scheduler.stop({ ...shutdown, log }));
  poller.start();
  undo.push(async () => poller.stop());
  waiting.start();
  undo.push(() => waiting.stop());
  // Log retention (`log_retention`): at start, then hourly. Runs and stages stay; only logs go.
  const prune = () =>
    store.pruneLogs(Date.now() - config.logRetentionSeconds * 1000).then(
      (n) => n > 0 && log(`log retention: removed ${n} stage log(s)`),
      (err: Error) => log(`log retention: ${err.message}`),
    );
  void prune();
  const pruner = setInterval(prune, 3_600_000);
  pruner.unref();
  undo.push(async () => clearInterval(pruner));
  return { ctx, port };
}
