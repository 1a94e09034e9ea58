import { randomUUID } from "node:crypto";
import type { Config, NotificationEvent, WebhookConfig } from "../../config/index.js";
import { createMasker } from "../../secrets/index.js";
import type { DeliveryRow, DeploymentRow, RunRow, Store } from "../../store/index.js";
import { Dispatcher } from "./dispatcher.js";
import { formatBody, type NotificationFacts } from "./payload.js";

/** The run changes the notifier hears: the daemon's live bus carries them. */
export interface RunChange {
  type: string;
  runId?: string;
  status?: string;
}

/** Where run changes come from (the daemon's LiveBus); kept structural so this folder does not import serve/. */
export interface RunChangeSource {
  on(event: "event", listener: (change: RunChange) => void): unknown;
  off(event: "event", listener: (change: RunChange) => void): unknown;
}

export interface NotifierOptions {
  config: Config;
  store: Store;
  bus: RunChangeSource;
  log(line: string): void;
  /** Tests make the jitter predictable. */
  random?: () => number;
}

const RUN_EVENTS: Record<string, NotificationEvent> = {
  running: "run.started",
  success: "run.succeeded",
  failed: "run.failed",
  cancelled: "run.cancelled",
  waiting: "approval.waiting",
};

/**
 * Turns run and deployment changes into webhook deliveries. The bus listener only queues
 * work: reading the run, formatting and storing deliveries happen afterwards on a chain of
 * their own, and the HTTP requests in the Dispatcher, so a notification never delays a run
 * and a failure here is logged, never thrown into the run.
 */
export class Notifier {
  readonly dispatcher: Dispatcher;
  private chain: Promise<void> = Promise.resolve();
  private readonly mask: (text: string) => string;
  private started = false;

  constructor(private readonly opts: NotifierOptions) {
    this.mask = createMasker(opts.config.secrets());
    this.dispatcher = new Dispatcher({
      config: opts.config,
      store: opts.store.notifications,
      log: (line) => opts.log(this.mask(line)),
      mask: this.mask,
      random: opts.random,
    });
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.opts.bus.on("event", this.onChange);
    this.dispatcher.start();
  }

  private readonly onChange = (change: RunChange) => {
    if (change.type !== "run" || !change.runId || !change.status) return;
    const event = RUN_EVENTS[change.status];
    if (!event) return;
    const runId = change.runId;
    this.enqueue(() => this.runChanged(runId, event));
  };

  /** For the deploy executor's records (see `observeDeployments`): a deployment reached an end. */
  deploymentFinished(row: DeploymentRow): void {
    const event = deploymentEvent(row);
    if (event) this.enqueue(() => this.notify({ event, deployment: row }));
  }

  private enqueue(work: () => Promise<void>): void {
    this.chain = this.chain
      .then(work)
      .catch((err: Error) => this.opts.log(`notify: cannot queue a notification: ${this.mask(err.message)}`));
  }

  private async runChanged(runId: string, event: NotificationEvent): Promise<void> {
    if (!this.opts.config.notifications.some((w) => w.events.includes(event) || w.events.includes("run.fixed"))) {
      return;
    }
    const run = await this.opts.store.getRun(runId);
    if (!run) return;
    // A run resuming after an approval (or a deploy window) is claimed again: it started already.
    if (event === "run.started" && run.resumeFromStage) return;
    const stages = await this.opts.store.listStages(runId);
    if (event === "approval.waiting") {
      // Waiting for a deploy window (or again, once approved) is not waiting for a person.
      const gate = run.resumeFromStage
        ? await this.opts.store.approvals.getGate(run.id, run.resumeFromStage)
        : undefined;
      if (gate?.state === "pending" && gate.waitingFor === "approval")
        await this.notify({ event, run, stages, approval: gate });
      return;
    }
    await this.notify({ event, run, stages });
    if (event === "run.succeeded" && (await this.previousFailed(run))) {
      await this.notify({ event: "run.fixed", run, stages });
    }
  }

  /** Whether the last finished run of the same repository and ref before `run` failed. */
  private async previousFailed(run: RunRow): Promise<boolean> {
    let cursor: string | undefined;
    for (let page = 0; page < 5; page++) {
      const { runs, nextCursor } = await this.opts.store.listRuns({
        repository: run.repository,
        ref: run.ref,
        limit: 50,
        ...(cursor ? { cursor } : {}),
      });
      for (const r of runs) {
        if (r.id >= run.id || r.status === "queued" || r.status === "running") continue;
        // A cancelled run says nothing about whether the ref was broken: look further back.
        if (r.status === "cancelled") continue;
        return r.status === "failed";
      }
      if (!nextCursor) return false;
      cursor = nextCursor;
    }
    return false;
  }

  private async notify(facts: Omit<NotificationFacts, "eventId" | "runner" | "at">): Promise<void> {
    const repository = facts.run?.repository ?? facts.deployment?.repository;
    const hooks = this.opts.config.notifications.filter(
      (w) => w.events.includes(facts.event) && (w.repository === undefined || w.repository === repository),
    );
    if (hooks.length === 0) return;
    const full: NotificationFacts = {
      ...facts,
      eventId: randomUUID(),
      runner: this.opts.config.runnerId,
      at: Date.now(),
    };
    const bodies = new Map<WebhookConfig["format"], string>();
    const now = Date.now();
    await this.opts.store.notifications.createDeliveries(
      hooks.map((hook) => {
        let body = bodies.get(hook.format);
        if (body === undefined) {
          // Not masked here: run errors and stage details were masked when stored, and masking
          // the serialised JSON could cut through its structure (a secret equal to a key).
          body = formatBody(hook.format, full);
          bodies.set(hook.format, body);
        }
        return {
          eventId: full.eventId,
          webhook: hook.name,
          event: facts.event,
          repository: repository ?? null,
          runId: facts.run?.id ?? facts.deployment?.runId ?? null,
          deploymentId: facts.deployment?.id ?? null,
          owner: this.opts.config.runnerId,
          format: hook.format,
          body,
          maxAttempts: hook.maxAttempts,
          nextAttemptAt: now,
        };
      }),
    );
    this.dispatcher.wake();
  }

  /**
   * Sends a delivery's body again as a new delivery (same event id, so receivers can tell),
   * owned by this runner, with the webhook's current URL, secret and retry settings.
   * Undefined when the delivery does not exist; `gone` when its webhook is no longer configured.
   */
  async redeliver(id: string): Promise<{ delivery: DeliveryRow } | { gone: string } | undefined> {
    const original = await this.opts.store.notifications.getDelivery(id);
    if (!original) return undefined;
    const hook = this.opts.config.notifications.find((w) => w.name === original.webhook);
    if (!hook) return { gone: original.webhook };
    const [delivery] = await this.opts.store.notifications.createDeliveries([
      {
        eventId: original.eventId,
        webhook: original.webhook,
        event: original.event,
        repository: original.repository,
        runId: original.runId,
        deploymentId: original.deploymentId,
        owner: this.opts.config.runnerId,
        format: original.format,
        body: original.body,
        maxAttempts: hook.maxAttempts,
        nextAttemptAt: Date.now(),
        redeliveryOf: original.id,
      },
    ]);
    this.dispatcher.wake();
    return { delivery: delivery as DeliveryRow };
  }

  /** Waits for queued notifications to be stored (tests, shutdown), then stops the dispatcher. */
  async stop(): Promise<void> {
    this.opts.bus.off("event", this.onChange);
    await this.chain;
    await this.dispatcher.stop();
  }
}

/**
 * A deployment's end, or its stop to wait for someone (paused, awaiting confirmation), as an
 * event: a rollback deployment that succeeded is the environment rolled back.
 */
export function deploymentEvent(row: DeploymentRow): NotificationEvent | undefined {
  if (row.status === "rolled_back") return "deployment.rolled_back";
  if (row.status === "success") return row.trigger === "rollback" ? "deployment.rolled_back" : "deployment.succeeded";
  if (row.status === "failed") return "deployment.failed";
  if (row.status === "paused") return "deployment.paused";
  if (row.status === "awaiting_confirm") return "deployment.awaiting_confirm";
  return undefined;
}
