import type { Config } from "../../config/index.js";
import type { Engine } from "../../engine/index.js";
import type { Store } from "../../store/index.js";
import type { Notifier } from "../notify/index.js";
import type { EnvironmentOps } from "./environment-ops.js";
import type { LiveBus } from "./live-logs.js";
import type { Metrics } from "./metrics.js";
import type { Poller } from "./poller.js";
import type { Scheduler } from "./scheduler.js";
import type { SourceCache } from "./sources.js";
import type { Triggers } from "./triggers.js";
import type { WaitingRuns } from "./waiting-runs.js";

/** What the HTTP routes work with: the daemon's parts, built once in `startDaemon`. */
export interface DaemonContext {
  config: Config;
  store: Store;
  engine: Engine;
  bus: LiveBus;
  sources: SourceCache;
  scheduler: Scheduler;
  triggers: Triggers;
  poller: Poller;
  metrics: Metrics;
  /** Outbound webhooks: deliveries, redelivery. */
  notifier: Notifier;
  /** `slipway deploy/confirm/rollback/status/history` (deployments the daemon runs itself). */
  environments: EnvironmentOps;
  /** Runs parked before a deploy stage: approve, reject, timeouts, windows. */
  waiting: WaitingRuns;
}
