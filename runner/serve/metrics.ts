/** Prometheus text exposition of the runner's own counters; no client library needed for this few. */
const BUCKETS = [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600];

export class Metrics {
  private readonly finished = new Map<string, number>();
  private readonly durations = new Map<string, { buckets: number[]; sum: number; count: number }>();
  private readonly unexpected = new Map<string, number>();

  /** An error the daemon survived: `unhandledRejection`, `uncaughtException`, `claim`, `run`. */
  unexpectedError(source: string): void {
    this.unexpected.set(source, (this.unexpected.get(source) ?? 0) + 1);
  }

  runFinished(status: string): void {
    this.finished.set(status, (this.finished.get(status) ?? 0) + 1);
  }

  stageFinished(type: string, durationMs: number): void {
    let h = this.durations.get(type);
    if (!h) {
      h = { buckets: BUCKETS.map(() => 0), sum: 0, count: 0 };
      this.durations.set(type, h);
    }
    const seconds = durationMs / 1000;
    BUCKETS.forEach((le, i) => {
      if (seconds <= le && h) h.buckets[i] = (h.buckets[i] ?? 0) + 1;
    });
    h.sum += seconds;
    h.count++;
  }

  render(gauges: { queued: number; running: number }): string {
    const out: string[] = [
      "# HELP slipway_runs Runs by status: queued and running now, finished ones since the runner started.",
      "# TYPE slipway_runs gauge",
      `slipway_runs{status="queued"} ${gauges.queued}`,
      `slipway_runs{status="running"} ${gauges.running}`,
    ];
    for (const status of ["success", "failed", "cancelled"]) {
      out.push(`slipway_runs{status="${status}"} ${this.finished.get(status) ?? 0}`);
    }
    out.push(
      "# HELP slipway_queue_depth Runs waiting for a free slot.",
      "# TYPE slipway_queue_depth gauge",
      `slipway_queue_depth ${gauges.queued}`,
      "# HELP slipway_stage_duration_seconds Duration of finished stages by stage type.",
      "# TYPE slipway_stage_duration_seconds histogram",
    );
    for (const [type, h] of this.durations) {
      BUCKETS.forEach((le, i) => {
        out.push(`slipway_stage_duration_seconds_bucket{type="${type}",le="${le}"} ${h.buckets[i]}`);
      });
      out.push(`slipway_stage_duration_seconds_bucket{type="${type}",le="+Inf"} ${h.count}`);
      out.push(`slipway_stage_duration_seconds_sum{type="${type}"} ${h.sum}`);
      out.push(`slipway_stage_duration_seconds_count{type="${type}"} ${h.count}`);
    }
    out.push(
      "# HELP slipway_unexpected_errors_total Errors the daemon survived, by source (unhandledRejection, uncaughtException, claim, run, api).",
      "# TYPE slipway_unexpected_errors_total counter",
    );
    for (const source of ["unhandledRejection", "uncaughtException", "claim", "run", "api"]) {
      out.push(`slipway_unexpected_errors_total{source="${source}"} ${this.unexpected.get(source) ?? 0}`);
    }
    return `${out.join("\n")}\n`;
  }
}
