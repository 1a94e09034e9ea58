/** Rows and inputs of outbound webhook deliveries (migration 8). */

export const DELIVERY_STATUSES = ["pending", "delivered", "failed"] as const;
/** `pending`: waiting for its next attempt; `delivered`: a 2xx answer; `failed`: given up. */
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export interface NewDelivery {
  /** The event's id, in the body; a redelivery keeps it so receivers can deduplicate. */
  eventId: string;
  webhook: string;
  event: string;
  repository?: string | null;
  runId?: string | null;
  deploymentId?: string | null;
  /** The runner that delivers it (its dispatcher picks up only its own, also after a restart). */
  owner: string;
  /** `json` or `slack`: how `body` was formatted. */
  format: string;
  /** The exact bytes sent (and signed), as text: every attempt sends the same body. */
  body: string;
  maxAttempts: number;
  /** When the first attempt is due (epoch ms). */
  nextAttemptAt: number;
  redeliveryOf?: string | null;
}

export interface DeliveryRow {
  id: string;
  eventId: string;
  webhook: string;
  event: string;
  repository: string | null;
  runId: string | null;
  deploymentId: string | null;
  owner: string;
  format: string;
  body: string;
  status: DeliveryStatus;
  attempts: number;
  maxAttempts: number;
  nextAttemptAt: number | null;
  lastStatusCode: number | null;
  lastError: string | null;
  redeliveryOf: string | null;
  createdAt: number;
  updatedAt: number;
  finishedAt: number | null;
}

export interface AttemptInput {
  startedAt: number;
  durationMs: number;
  /** The receiver's HTTP status; null when no answer came (refused, timed out, reset). */
  statusCode: number | null;
  error: string | null;
}

export interface AttemptRow extends AttemptInput {
  deliveryId: string;
  /** 1 for the first attempt. */
  seq: number;
}

/** What an attempt leads to: delivered, given up, or another attempt at `nextAttemptAt`. */
export type AttemptOutcome =
  | { status: "delivered" }
  | { status: "failed" }
  | { status: "pending"; nextAttemptAt: number };

export interface DeliveryFilter {
  webhook?: string;
  status?: DeliveryStatus;
  runId?: string;
  /** 1..500, default 50. */
  limit?: number;
  /** A delivery id: list those older than it (the previous page's last id). */
  before?: string;
}

/**
 * Outbound webhook deliveries and their attempts, shared by every runner on one database.
 * Each delivery belongs to the runner that created it (`owner`): only that runner's
 * dispatcher attempts it, so after a restart it resumes its own pending deliveries.
 */
export interface NotificationStore {
  /** Inserts the deliveries of one event in one transaction. */
  createDeliveries(inputs: NewDelivery[]): Promise<DeliveryRow[]>;
  getDelivery(id: string): Promise<DeliveryRow | undefined>;
  /** Newest first. */
  listDeliveries(filter?: DeliveryFilter): Promise<DeliveryRow[]>;
  /** Attempts of a delivery, first first. */
  listAttempts(deliveryId: string): Promise<AttemptRow[]>;
  /**
   * `owner`'s pending deliveries due at `now`, the longest-waiting first, leaving out those of
   * `exceptWebhooks` (their receivers are busy) and `exceptIds` (already being attempted), so
   * a backlog of one slow webhook never hides the others' due deliveries.
   */
  dueDeliveries(
    owner: string,
    now: number,
    limit: number,
    except?: { webhooks?: readonly string[]; ids?: readonly string[] },
  ): Promise<DeliveryRow[]>;
  /** When `owner`'s next pending delivery is due, or undefined when none is pending. */
  nextDueAt(owner: string): Promise<number | undefined>;
  /**
   * Records an attempt (numbered after the ones before it) and its outcome, atomically. Only
   * a pending delivery changes; undefined otherwise (it was given up meanwhile).
   */
  recordAttempt(id: string, attempt: AttemptInput, outcome: AttemptOutcome): Promise<DeliveryRow | undefined>;
  /** Gives a pending delivery up without an attempt (its webhook left the configuration). */
  abandonDelivery(id: string, error: string): Promise<DeliveryRow | undefined>;
}
