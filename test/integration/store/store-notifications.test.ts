import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { NewDelivery } from "../../../store/index.js";
import { codeOf, createTestDatabase, ENGINES, type TestDatabase } from "./store-harness.js";

const delivery = (over: Partial<NewDelivery> = {}): NewDelivery => ({
  eventId: "EVT1",
  webhook: "ops",
  event: "run.failed",
  repository: "shop",
  runId: "RUN1",
  owner: "runner-a",
  format: "json",
  // Key order and spacing are part of the signed bytes: they must come back exactly.
  body: '{"z":1,  "a":"é\\u2028"}',
  maxAttempts: 3,
  nextAttemptAt: 1000,
  ...over,
});

describe.each(ENGINES)("webhook deliveries on %s", (engine) => {
  let db: TestDatabase;

  beforeEach(async () => {
    db = await createTestDatabase(engine);
  });
  afterEach(() => db.dispose());

  it("keeps the body byte for byte and records numbered attempts until delivered", async () => {
    const store = await db.open();
    const [created] = await store.notifications.createDeliveries([delivery()]);
    expect(created).toMatchObject({ status: "pending", attempts: 0, nextAttemptAt: 1000, body: delivery().body });
    const id = created?.id as string;
    const failed = await store.notifications.recordAttempt(
      id,
      { startedAt: 1000, durationMs: 12.4, statusCode: 500, error: "HTTP 500" },
      { status: "pending", nextAttemptAt: 5000 },
    );
    expect(failed).toMatchObject({ status: "pending", attempts: 1, nextAttemptAt: 5000, lastStatusCode: 500 });
    const done = await store.notifications.recordAttempt(
      id,
      { startedAt: 5000, durationMs: 3, statusCode: 204, error: null },
      { status: "delivered" },
    );
    expect(done).toMatchObject({ status: "delivered", attempts: 2, nextAttemptAt: null, lastError: null });
    expect(done?.finishedAt).toBeGreaterThan(0);
    const attempts = await store.notifications.listAttempts(id);
    expect(attempts.map((a) => [a.seq, a.statusCode, a.durationMs])).toEqual([
      [1, 500, 12],
      [2, 204, 3],
    ]);
    // A finished delivery takes no more attempts.
    expect(
      await store.notifications.recordAttempt(
        id,
        { startedAt: 6000, durationMs: 1, statusCode: 200, error: null },
        { status: "delivered" },
      ),
    ).toBeUndefined();
    expect((await store.notifications.getDelivery(id))?.body).toBe(delivery().body);
  });

  it("hands each runner only its own due deliveries, and survives reopening", async () => {
    const first = await db.open();
    await first.notifications.createDeliveries([
      delivery({ nextAttemptAt: 3000 }),
      delivery({ nextAttemptAt: 1000, webhook: "chat" }),
      delivery({ owner: "runner-b", nextAttemptAt: 500 }),
    ]);
    await first.close();
    const again = await db.open();
    expect((await again.notifications.dueDeliveries("runner-a", 2000, 10)).map((d) => d.webhook)).toEqual(["chat"]);
    expect((await again.notifications.dueDeliveries("runner-a", 5000, 10)).map((d) => d.nextAttemptAt)).toEqual([
      1000, 3000,
    ]);
    const due = await again.notifications.dueDeliveries("runner-a", 5000, 10);
    expect(
      (await again.notifications.dueDeliveries("runner-a", 5000, 10, { webhooks: ["chat"] })).map((d) => d.webhook),
    ).toEqual(["ops"]);
    expect(await again.notifications.dueDeliveries("runner-a", 5000, 10, { ids: due.map((d) => d.id) })).toEqual([]);
    expect(await again.notifications.nextDueAt("runner-a")).toBe(1000);
    expect(await again.notifications.nextDueAt("nobody")).toBeUndefined();
  });

  it("lists newest first with filters and pages, gives up pending ones, and refuses bad limits", async () => {
    const store = await db.open();
    const rows = await store.notifications.createDeliveries([
      delivery({ webhook: "a" }),
      delivery({ webhook: "b", runId: "RUN2" }),
      delivery({ webhook: "a" }),
    ]);
    const all = await store.notifications.listDeliveries();
    expect(all.map((d) => d.id)).toEqual(rows.map((r) => r.id).reverse());
    expect((await store.notifications.listDeliveries({ webhook: "a" })).length).toBe(2);
    expect((await store.notifications.listDeliveries({ runId: "RUN2" })).map((d) => d.webhook)).toEqual(["b"]);
    const page = await store.notifications.listDeliveries({ limit: 1, before: all[0]?.id });
    expect(page.map((d) => d.id)).toEqual([all[1]?.id]);
    const gone = await store.notifications.abandonDelivery(rows[0]?.id as string, "webhook a is no longer configured");
    expect(gone).toMatchObject({ status: "failed", nextAttemptAt: null });
    expect((await store.notifications.listDeliveries({ status: "failed" })).map((d) => d.id)).toEqual([rows[0]?.id]);
    expect(await codeOf(store.notifications.listDeliveries({ limit: 0 }))).toBe("SLIPWAY_E_STORE_BAD_ARGUMENT");
  });
});
