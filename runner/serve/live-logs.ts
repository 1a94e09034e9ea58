import { EventEmitter } from "node:events";
import type { Store } from "../../store/index.js";
import type { DeploymentLiveEvent } from "./deployment-events.js";

/** What live subscribers (SSE clients, `slipway logs --follow`) are told. */
export type LiveEvent =
  | { type: "log"; runId: string; stage: string; offset: number; text: string }
  | { type: "stage"; runId: string; stage: string; status: string }
  | { type: "run"; runId: string; status: string };

/**
 * In-process fan-out of log appends and status changes of runs (`event`) and of what the deploy
 * executor records (`deployment`: see publishDeployments); the store stays the source of truth.
 */
export class LiveBus extends EventEmitter<{ event: [LiveEvent]; deployment: [DeploymentLiveEvent] }> {
  constructor() {
    super();
    // Every SSE client is a listener; the default cap of 10 is a leak detector, not a limit here.
    this.setMaxListeners(0);
  }
  publish(event: LiveEvent): void {
    this.emit("event", event);
  }
  publishDeployment(event: DeploymentLiveEvent): void {
    this.emit("deployment", event);
  }
}

/**
 * Writes one stage's log to the store. Lines are masked, then batched per event-loop turn
 * (a Docker log chunk yields many lines at once) so a chatty step costs one insert per chunk,
 * not per line. Writes are chained, so chunks land in order; `close()` waits for the last.
 */
export class StageLogWriter {
  private pending: string[] = [];
  private scheduled = false;
  private chain: Promise<void> = Promise.resolve();
  private failure: unknown;

  constructor(
    private readonly store: Store,
    private readonly bus: LiveBus,
    private readonly runId: string,
    private readonly stage: string,
    private readonly mask: (line: string) => string,
  ) {}

  line(line: string): void {
    this.pending.push(this.mask(line));
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  private flush(): void {
    this.scheduled = false;
    if (this.pending.length === 0) return;
    const text = `${this.pending.join("\n")}\n`;
    this.pending = [];
    this.chain = this.chain.then(async () => {
      try {
        const { offset } = await this.store.appendLog(this.runId, this.stage, text);
        this.bus.publish({ type: "log", runId: this.runId, stage: this.stage, offset, text });
      } catch (err) {
        this.failure ??= err;
      }
    });
  }

  async close(): Promise<void> {
    this.flush();
    await this.chain;
    if (this.failure) throw this.failure;
  }
}
