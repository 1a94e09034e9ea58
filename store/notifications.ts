import { badArgument } from "./errors.js";
import { newUlid } from "./ids.js";
import {
  type AttemptInput,
  type AttemptOutcome,
  type AttemptRow,
  DELIVERY_STATUSES,
  type DeliveryFilter,
  type DeliveryRow,
  type DeliveryStatus,
  type NewDelivery,
  type NotificationStore,
} from "./notification-types.js";
import type { RawRow } from "./rows.js";
import type { SqlDriver } from "./sql-driver.js";

/** `NotificationStore` on a `SqlDriver`: the same SQL on SQLite and PostgreSQL. */
export class SqlNotificationStore implements NotificationStore {
  constructor(private readonly db: SqlDriver) {}

  async createDeliveries(inputs: NewDelivery[]): Promise<DeliveryRow[]> {
    if (inputs.length === 0) return [];
    for (const input of inputs) {
      if (!input.webhook || !input.event || !input.owner)
        throw badArgument("a delivery needs a webhook, event and owner");
      if (!Number.isInteger(input.maxAttempts) || input.maxAttempts < 1) throw badArgument("maxAttempts must be ≥ 1");
    }
    return this.db.transaction(async (q) => {
      const rows: DeliveryRow[] = [];
      for (const input of inputs) {
        const now = Date.now();
        const row = await q.get(
          `INSERT INTO notification_deliveries (id, event_id, webhook, event, repository, run_id, deployment_id,
             owner, format, body, status, attempts, max_attempts, next_attempt_at, redelivery_of, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?, ?, ?) RETURNING *`,
          [
            newUlid(now),
            input.eventId,
            input.webhook,
            input.event,
            input.repository ?? null,
            input.runId ?? null,
            input.deploymentId ?? null,
            input.owner,
            input.format,
            input.body,
            input.maxAttempts,
            input.nextAttemptAt,
            input.redeliveryOf ?? null,
            now,
            now,
          ],
        );
        rows.push(toDelivery(row as RawRow));
      }
      return rows;
    });
  }

  async getDelivery(id: string): Promise<DeliveryRow | undefined> {
    const row = await this.db.get("SELECT * FROM notification_deliveries WHERE id = ?", [id]);
    return row && toDelivery(row);
  }

  async listDeliveries(filter: DeliveryFilter = {}): Promise<DeliveryRow[]> {
    const limit = filter.limit ?? 50;
    if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw badArgument(`limit must be 1..500, got ${limit}`);
    if (filter.status !== undefined && !DELIVERY_STATUSES.includes(filter.status)) {
      throw badArgument(`unknown delivery status "${filter.status}"`);
    }
    const where: string[] = [];
    const params: (string | number)[] = [];
    const add = (sql: string, value: string | undefined) => {
      if (value === undefined) return;
      where.push(sql);
      params.push(value);
    };
    add("webhook = ?", filter.webhook);
    add("status = ?", filter.status);
    add("run_id = ?", filter.runId);
    add("id < ?", filter.before);
    const rows = await this.db.all(
      `SELECT * FROM notification_deliveries ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY id DESC LIMIT ?`,
      [...params, limit],
    );
    return rows.map(toDelivery);
  }

  async listAttempts(deliveryId: string): Promise<AttemptRow[]> {
    const rows = await this.db.all("SELECT * FROM notification_attempts WHERE delivery_id = ? ORDER BY seq", [
      deliveryId,
    ]);
    return rows.map(toAttempt);
  }

  async dueDeliveries(
    owner: string,
    now: number,
    limit: number,
    except: { webhooks?: readonly string[]; ids?: readonly string[] } = {},
  ): Promise<DeliveryRow[]> {
    const webhooks = except.webhooks ?? [];
    const ids = except.ids ?? [];
    const marks = (n: number) => Array.from({ length: n }, () => "?").join(", ");
    const rows = await this.db.all(
      `SELECT * FROM notification_deliveries WHERE owner = ? AND status = 'pending' AND next_attempt_at <= ?
       ${webhooks.length ? `AND webhook NOT IN (${marks(webhooks.length)})` : ""}
       ${ids.length ? `AND id NOT IN (${marks(ids.length)})` : ""}
       ORDER BY next_attempt_at, id LIMIT ?`,
      [owner, now, ...webhooks, ...ids, limit],
    );
    return rows.map(toDelivery);
  }

  async nextDueAt(owner: string): Promise<number | undefined> {
    const row = await this.db.get(
      "SELECT MIN(next_attempt_at) AS due FROM notification_deliveries WHERE owner = ? AND status = 'pending'",
      [owner],
    );
    return row?.due === null || row?.due === undefined ? undefined : Number(row.due);
  }

  async recordAttempt(id: string, attempt: AttemptInput, outcome: AttemptOutcome): Promise<DeliveryRow | undefined> {
    return this.db.transaction(async (q) => {
      // The status condition and the counter bump in one statement: a concurrent give-up wins cleanly.
      const now = Date.now();
      const finished = outcome.status === "pending" ? null : now;
      const next = outcome.status === "pending" ? outcome.nextAttemptAt : null;
      const row = await q.get(
        `UPDATE notification_deliveries SET attempts = attempts + 1, status = ?, next_attempt_at = ?,
           last_status_code = ?, last_error = ?, updated_at = ?, finished_at = ?
         WHERE id = ? AND status = 'pending' RETURNING *`,
        [outcome.status, next, attempt.statusCode, attempt.error, now, finished, id],
      );
      if (!row) return undefined;
      const delivery = toDelivery(row);
      await q.run(
        `INSERT INTO notification_attempts (delivery_id, seq, started_at, duration_ms, status_code, error)
         VALUES (?, ?, ?, ?, ?, ?)`,
        [id, delivery.attempts, attempt.startedAt, Math.round(attempt.durationMs), attempt.statusCode, attempt.error],
      );
      return delivery;
    });
  }

  async abandonDelivery(id: string, error: string): Promise<DeliveryRow | undefined> {
    const now = Date.now();
    const row = await this.db.get(
      `UPDATE notification_deliveries SET status = 'failed', next_attempt_at = NULL, last_error = ?, updated_at = ?,
         finished_at = ? WHERE id = ? AND status = 'pending' RETURNING *`,
      [error, now, now, id],
    );
    return row && toDelivery(row);
  }
}

const num = (v: unknown) => (typeof v === "number" ? v : Number(v));
const numOrNull = (v: unknown) => (v === null || v === undefined ? null : num(v));
const strOrNull = (v: unknown) => (v === null || v === undefined ? null : String(v));

function toDelivery(r: RawRow): DeliveryRow {
  return {
    id: String(r.id),
    eventId: String(r.event_id),
    webhook: String(r.webhook),
    event: String(r.event),
    repository: strOrNull(r.repository),
    runId: strOrNull(r.run_id),
    deploymentId: strOrNull(r.deployment_id),
    owner: String(r.owner),
    format: String(r.format),
    body: String(r.body),
    status: String(r.status) as DeliveryStatus,
    attempts: num(r.attempts),
    maxAttempts: num(r.max_attempts),
    nextAttemptAt: numOrNull(r.next_attempt_at),
    lastStatusCode: numOrNull(r.last_status_code),
    lastError: strOrNull(r.last_error),
    redeliveryOf: strOrNull(r.redelivery_of),
    createdAt: num(r.created_at),
    updatedAt: num(r.updated_at),
    finishedAt: numOrNull(r.finished_at),
  };
}

function toAttempt(r: RawRow): AttemptRow {
  return {
    deliveryId: String(r.delivery_id),
    seq: num(r.seq),
    startedAt: num(r.started_at),
    durationMs: num(r.duration_ms),
    statusCode: numOrNull(r.status_code),
    error: strOrNull(r.error),
  };
}
