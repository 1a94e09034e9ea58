import type { Config, WebhookConfig } from "../../config/index.js";
import type { AttemptOutcome, DeliveryRow, NotificationStore } from "../../store/index.js";
import { retryDelayMs } from "./backoff.js";
import { type AttemptResult, WebhookSender } from "./sender.js";

export interface DispatcherOptions {
  config: Pick<Config, "runnerId" | "notifications">;
  store: NotificationStore;
  log(line: string): void;
  /** Masks secrets in recorded errors and log lines. */
  mask(text: string): string;
  /** Deliveries attempted at the same time, in all (default 8). */
  concurrency?: number;
  /** ... and to one webhook (default 2), so a slow receiver cannot hold every slot. */
  perWebhook?: number;
  random?: () => number;
  /** How often to look for due deliveries besides being woken (another process may add some). */
  pollMs?: number;
}

/**
 * The delivery queue. Deliveries live in the store, so pending retries survive a restart;
 * this attempts the due ones of this runner, records every attempt and schedules the next with
 * backoff. It runs beside the runs, never inside them: a slow or dead receiver costs a queue
 * slot here, nothing in a run.
 */
export class Dispatcher {
  private readonly sender = new WebhookSender();
  private readonly inFlight = new Map<string, { webhook: string; done: Promise<void> }>();
  private readonly stopping = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private pumping: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(private readonly opts: DispatcherOptions) {}

  start(): void {
    this.wake();
  }

  /** Looks for due deliveries now (new ones were created). */
  wake(): void {
    if (this.stopped) return;
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = this.pump()
      .catch((err: Error) => this.opts.log(`notify: cannot read pending deliveries: ${this.opts.mask(err.message)}`))
      .finally(() => {
        this.pumping = undefined;
        if (this.again) {
          this.again = false;
          this.wake();
        } else void this.arm();
      });
  }

  private async pump(): Promise<void> {
    const total = this.opts.concurrency ?? 8;
    const perWebhook = this.opts.perWebhook ?? 2;
    const free = total - this.inFlight.size;
    if (free <= 0 || this.stopped) return;
    const busy = new Map<string, number>();
    for (const f of this.inFlight.values()) busy.set(f.webhook, (busy.get(f.webhook) ?? 0) + 1);
    // Saturated webhooks and attempts in flight are left out in the query itself: a backlog
    // of one slow receiver must not fill the page and hide the others' due deliveries.
    const due = await this.opts.store.dueDeliveries(this.opts.config.runnerId, Date.now(), free * perWebhook, {
      webhooks: [...busy].filter(([, n]) => n >= perWebhook).map(([w]) => w),
      ids: [...this.inFlight.keys()],
    });
    for (const delivery of due) {
      if (this.inFlight.size >= total || this.stopped) break;
      if (this.inFlight.has(delivery.id) || (busy.get(delivery.webhook) ?? 0) >= perWebhook) continue;
      busy.set(delivery.webhook, (busy.get(delivery.webhook) ?? 0) + 1);
      const done = this.attempt(delivery)
        .catch((err: Error) => this.opts.log(`notify: delivery ${delivery.id}: ${this.opts.mask(err.message)}`))
        .finally(() => {
          this.inFlight.delete(delivery.id);
          this.wake();
        });
      this.inFlight.set(delivery.id, { webhook: delivery.webhook, done });
    }
  }

  /** Sleeps until the next pending delivery is due (or the poll interval, whichever is sooner). */
  private async arm(): Promise<void> {
    if (this.stopped) return;
    const next = await this.opts.store.nextDueAt(this.opts.config.runnerId).catch(() => undefined);
    if (this.stopped) return;
    const poll = this.opts.pollMs ?? 5_000;
    // Due already yet not taken: in flight, or its webhook has no free slot. A finishing attempt
    // wakes the queue, so wait for that (or the poll) instead of spinning on the same rows.
    const dueNow = next !== undefined && next <= Date.now();
    const wait = next === undefined || dueNow ? poll : Math.min(poll, next - Date.now());
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.wake(), wait);
    this.timer.unref();
  }

  private async attempt(delivery: DeliveryRow): Promise<void> {
    const hook = this.opts.config.notifications.find((w) => w.name === delivery.webhook);
    if (!hook) {
      await this.opts.store.abandonDelivery(
        delivery.id,
        `SLIPWAY_E_NOTIFY_WEBHOOK_GONE: webhook ${delivery.webhook} is no longer configured`,
      );
      this.opts.log(`notify: ${delivery.webhook} ${delivery.event}: given up, the webhook is no longer configured`);
      return;
    }
    const startedAt = Date.now();
    const result = await this.sender.send({
      url: hook.url.reveal(),
      body: delivery.body,
      webhook: hook.name,
      event: delivery.event,
      deliveryId: delivery.id,
      secret: hook.secret?.reveal(),
      timeoutMs: hook.timeoutSeconds * 1000,
      signal: this.stopping.signal,
    });
    // Cut by shutdown: not the receiver's fault, so not counted; the restarted daemon sends it again.
    if (result.aborted) return;
    const error = result.error === null ? null : this.opts.mask(result.error);
    const outcome = this.outcome(delivery, hook, result);
    await this.opts.store.recordAttempt(
      delivery.id,
      { startedAt, durationMs: result.durationMs, statusCode: result.statusCode, error },
      outcome,
    );
    const n = delivery.attempts + 1;
    if (outcome.status === "pending") {
      const inSeconds = ((outcome.nextAttemptAt - Date.now()) / 1000).toFixed(1);
      this.opts.log(`notify: ${hook.name} ${delivery.event} attempt ${n} failed (${error}); next in ${inSeconds}s`);
    } else if (outcome.status === "failed") {
      this.opts.log(`notify: ${hook.name} ${delivery.event} given up after attempt ${n}: ${error}`);
    }
  }

  private outcome(delivery: DeliveryRow, hook: WebhookConfig, result: AttemptResult): AttemptOutcome {
    if (result.ok) return { status: "delivered" };
    const failed = delivery.attempts + 1;
    if (!result.retryable || failed >= delivery.maxAttempts) return { status: "failed" };
    const delay = retryDelayMs(failed, hook.backoffSeconds, {
      random: this.opts.random,
      retryAfterSeconds: result.retryAfterSeconds,
    });
    return { status: "pending", nextAttemptAt: Date.now() + delay };
  }

  /** Stops taking deliveries, cuts the attempts in flight (they stay pending) and closes the pool. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.stopping.abort();
    await this.pumping;
    await Promise.all([...this.inFlight.values()].map((f) => f.done));
    await this.sender.close().catch(() => {});
  }
}
