import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

/** Stage durations span a 1 s lint to an hour-long integration suite. */
const STAGE_BUCKETS = [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600];
/** Finished-run statuses, exported at 0 from the start so a rate() has a first sample. */
const FINISHED = ["success", "failed", "cancelled"] as const;
const UNEXPECTED_SOURCES = ["unhandledRejection", "uncaughtException", "claim", "run", "api"] as const;

/** What became of one inbound webhook delivery (`POST /api/hooks/:repo`). */
export type WebhookOutcome = "started" | "duplicate" | "ignored" | "ping" | "refused" | "error";
const WEBHOOK_OUTCOMES: readonly WebhookOutcome[] = ["started", "duplicate", "ignored", "ping", "refused", "error"];

/** How busy the daemon is now, read at scrape time (the store holds the queue). */
export type QueueReader = () => Promise<{ queued: number; running: number }>;

/**
 * The daemon's Prometheus metrics, through prom-client. Each daemon owns its Registry (never
 * prom-client's global one), so several daemons in one process (tests, benches) neither share
 * counts nor collide registering the same names. Besides Node's default process metrics (CPU,
 * memory, event-loop lag, handles, GC) it holds:
 * - `slipway_runs_total{status}`: runs finished since the start (a counter: rate() works);
 * - `slipway_runs_running`, `slipway_queue_depth`: gauges read from the scheduler and store at
 *   scrape time;
 * - `slipway_stage_duration_seconds{type}`: a histogram of finished stages;
 * - `slipway_webhook_deliveries_total{outcome}`: inbound webhook deliveries by what came of them;
 * - `slipway_unexpected_errors_total{source}`: errors the daemon survived.
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly runs: Counter<"status">;
  private readonly stages: Histogram<"type">;
  private readonly deliveries: Counter<"outcome">;
  private readonly unexpected: Counter<"source">;
  private readQueue: QueueReader = async () => ({ queued: 0, running: 0 });

  constructor() {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.runs = new Counter({
      name: "slipway_runs_total",
      help: "Runs finished since the runner started, by final status.",
      labelNames: ["status"],
      registers,
    });
    this.stages = new Histogram({
      name: "slipway_stage_duration_seconds",
      help: "Duration of finished stages by stage type.",
      labelNames: ["type"],
      buckets: STAGE_BUCKETS,
      registers,
    });
    this.deliveries = new Counter({
      name: "slipway_webhook_deliveries_total",
      help: "Inbound webhook deliveries by outcome (started, duplicate, ignored, ping, refused, error).",
      labelNames: ["outcome"],
      registers,
    });
    this.unexpected = new Counter({
      name: "slipway_unexpected_errors_total",
      help: "Errors the daemon survived, by source (unhandledRejection, uncaughtException, claim, run, api).",
      labelNames: ["source"],
      registers,
    });
    // Both gauges come from one read per scrape; the second one reuses the first's answer.
    let pending: ReturnType<QueueReader> | undefined;
    const read = () => {
      pending ??= this.readQueue().finally(() => {
        pending = undefined;
      });
      return pending;
    };
    new Gauge({
      name: "slipway_queue_depth",
      help: "Runs waiting for a free slot.",
      registers,
      async collect() {
        this.set((await read()).queued);
      },
    });
    new Gauge({
      name: "slipway_runs_running",
      help: "Runs executing on this runner now.",
      registers,
      async collect() {
        this.set((await read()).running);
      },
    });
    for (const status of FINISHED) this.runs.inc({ status }, 0);
    for (const outcome of WEBHOOK_OUTCOMES) this.deliveries.inc({ outcome }, 0);
    for (const source of UNEXPECTED_SOURCES) this.unexpected.inc({ source }, 0);
  }

  /** Where the queue gauges read from; set once the store and scheduler exist. */
  watchQueue(reader: QueueReader): void {
    this.readQueue = reader;
  }

  /** An error the daemon survived: `unhandledRejection`, `uncaughtException`, `claim`, `run`, `api`. */
  unexpectedError(source: string): void {
    this.unexpected.inc({ source });
  }

  /** A run reached a final status; other statuses (queued, running) are not finishes. */
  runFinished(status: string): void {
    if ((FINISHED as readonly string[]).includes(status)) this.runs.inc({ status });
  }

  stageFinished(type: string, durationMs: number): void {
    this.stages.observe({ type }, durationMs / 1000);
  }

  webhookDelivery(outcome: WebhookOutcome): void {
    this.deliveries.inc({ outcome });
  }

  /** The exposition's content type, for the `/metrics` response. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** The Prometheus text exposition of everything above. */
  render(): Promise<string> {
    return this.registry.metrics();
  }
}
