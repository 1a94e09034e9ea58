import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

/** Stage durations span a 1 s lint to an hour-long integration suite. */
const STAGE_BUCKETS = [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600];
/** The statuses a run finishes with. */
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
    // Every label value starts at 0, so a dashboard's rate() has a first sample to work from.
    const counter = <L extends string>(name: string, help: string, label: L, values: readonly string[]) => {
      const c = new Counter<L>({ name, help, labelNames: [label], registers });
      for (const value of values) c.inc({ [label]: value } as Partial<Record<L, string>>, 0);
      return c;
    };
    this.runs = counter(
      "slipway_runs_total",
      "Runs finished since the runner started, by final status.",
      "status",
      FINISHED,
    );
    this.stages = new Histogram({
      name: "slipway_stage_duration_seconds",
      help: "Duration of finished stages by stage type.",
      labelNames: ["type"],
      buckets: STAGE_BUCKETS,
      registers,
    });
    this.deliveries = counter(
      "slipway_webhook_deliveries_total",
      "Inbound webhook deliveries by outcome (started, duplicate, ignored, ping, refused, error).",
      "outcome",
      WEBHOOK_OUTCOMES,
    );
    this.unexpected = counter(
      "slipway_unexpected_errors_total",
      "Errors the daemon survived, by source (unhandledRejection, uncaughtException, claim, run, api).",
      "source",
      UNEXPECTED_SOURCES,
    );
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
