import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Config, loadConfig } from "../../../config/index.js";
import { Dispatcher, verifySignature } from "../../../runner/notify/index.js";
import { type DeliveryRow, type NotificationStore, openStore, type Store } from "../../../store/index.js";
import { type Receiver, startReceiver } from "../../helpers/receiver.js";

/**
 * The delivery queue against a real SQLite store and a real HTTP receiver on 127.0.0.1:
 * retries with backoff, every attempt recorded, what is and is not retried, shutdown.
 */

const SECRET = "dispatch-secret-0123456789";
let dir: string;
let store: Store;
let receiver: Receiver;
let dispatcher: Dispatcher | undefined;
const logs: string[] = [];

function configFor(url: string, extra = ""): Config {
  writeFileSync(
    join(dir, "slipway.config.yml"),
    [
      "runner_id: runner-a",
      "notifications:",
      "  - name: ops",
      `    url: ${url}`,
      "    secret: {env: HOOK_SIGNING}",
      "    events: [run.failed]",
      "    backoff: 100ms",
      "    timeout: 1s",
      extra,
      "",
    ].join("\n"),
  );
  return loadConfig({ cwd: dir, env: { HOOK_SIGNING: SECRET }, hostname: "t" });
}

async function enqueue(body = '{"event":"run.failed"}', webhook = "ops", maxAttempts = 3): Promise<DeliveryRow> {
  const [row] = await store.notifications.createDeliveries([
    {
      eventId: "evt",
      webhook,
      event: "run.failed",
      owner: "runner-a",
      format: "json",
      body,
      maxAttempts,
      nextAttemptAt: Date.now(),
    },
  ]);
  return row as DeliveryRow;
}

function start(config: Config, notifications: NotificationStore = store.notifications): Dispatcher {
  dispatcher = new Dispatcher({
    config,
    store: notifications,
    log: (l) => logs.push(l),
    mask: (t) => t.replaceAll(SECRET, "****"),
    pollMs: 50,
  });
  dispatcher.start();
  return dispatcher;
}

async function settled(id: string, timeoutMs = 10_000): Promise<DeliveryRow> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const row = await store.notifications.getDelivery(id);
    if (row && row.status !== "pending") return row;
    if (Date.now() > deadline) throw new Error(`delivery still ${row?.status} after ${row?.attempts} attempts`);
    await sleep(20);
  }
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "slipway-dispatch-"));
  store = await openStore(undefined, { dataDir: dir });
  receiver = await startReceiver();
  logs.length = 0;
});

afterEach(async () => {
  await dispatcher?.stop();
  dispatcher = undefined;
  await receiver.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("the delivery queue", () => {
  it("retries a receiver that fails twice, records 3 attempts, and signs each with its own timestamp", async () => {
    receiver.answers.push({ status: 500 }, { status: 503 });
    const row = await enqueue();
    start(configFor(receiver.url));
    const done = await settled(row.id);
    expect(done).toMatchObject({ status: "delivered", attempts: 3, lastStatusCode: 204, lastError: null });
    const attempts = await store.notifications.listAttempts(row.id);
    expect(attempts.map((a) => [a.seq, a.statusCode])).toEqual([
      [1, 500],
      [2, 503],
      [3, 204],
    ]);
    expect(attempts[0]?.error).toBe("SLIPWAY_E_NOTIFY_REFUSED: HTTP 500");
    expect(receiver.received).toHaveLength(3);
    // Backoff 100ms: the first retry waits 50-100ms, the second 100-200ms.
    const [a, b, c] = receiver.received.map((r) => r.at) as [number, number, number];
    expect(b - a).toBeGreaterThanOrEqual(45);
    expect(c - b).toBeGreaterThanOrEqual(95);
    for (const r of receiver.received) {
      expect(r.body).toBe('{"event":"run.failed"}');
      expect(r.headers["x-slipway-delivery"]).toBe(row.id);
      expect(r.headers["x-slipway-event"]).toBe("run.failed");
      expect(r.headers["content-type"]).toBe("application/json");
      const check = verifySignature({
        secret: SECRET,
        body: r.body,
        signature: r.headers["x-slipway-signature"] as string,
        timestamp: r.headers["x-slipway-timestamp"] as string,
      });
      expect(check).toEqual({ ok: true });
    }
  });

  it("gives up after max_attempts, and at once on a 4xx or a redirect (never followed)", async () => {
    receiver.answers.push({ status: 500 }, { status: 500 }, { status: 500 });
    const exhausted = await enqueue();
    start(configFor(receiver.url));
    expect(await settled(exhausted.id)).toMatchObject({ status: "failed", attempts: 3, lastStatusCode: 500 });
    receiver.answers.push({ status: 400 });
    const refused = await enqueue();
    dispatcher?.wake();
    expect(await settled(refused.id)).toMatchObject({ status: "failed", attempts: 1, lastStatusCode: 400 });
    receiver.answers.push({ status: 302, headers: { location: `${receiver.url}/elsewhere` } });
    const redirected = await enqueue();
    dispatcher?.wake();
    const r = await settled(redirected.id);
    expect(r).toMatchObject({ status: "failed", attempts: 1, lastStatusCode: 302 });
    expect(r.lastError).toMatch(/redirects are not followed/);
    expect(receiver.received.some((x) => x.path.endsWith("/elsewhere"))).toBe(false);
    // 429 is retried (rate limited, not refused).
    receiver.answers.push({ status: 429 });
    const limited = await enqueue();
    dispatcher?.wake();
    expect(await settled(limited.id)).toMatchObject({ status: "delivered", attempts: 2 });
  });

  it("records timeouts and refused connections as coded errors without the secret", async () => {
    receiver.answers.push({ status: 204, delayMs: 3000 });
    const slow = await enqueue("{}", "ops", 1);
    start(configFor(receiver.url));
    const timedOut = await settled(slow.id);
    expect(timedOut).toMatchObject({ status: "failed", attempts: 1, lastStatusCode: null });
    expect(timedOut.lastError).toMatch(/^SLIPWAY_E_NOTIFY_TIMEOUT: no answer within 1s/);
    const [attempt] = await store.notifications.listAttempts(slow.id);
    expect(attempt?.durationMs).toBeGreaterThanOrEqual(900);
    expect(attempt?.durationMs).toBeLessThan(2500);
    await dispatcher?.stop();
    // A port nothing listens on: the receiver closed.
    const closed = receiver.url;
    await receiver.close();
    const unreachable = await enqueue("{}", "ops", 2);
    start(configFor(closed));
    const down = await settled(unreachable.id);
    expect(down).toMatchObject({ status: "failed", attempts: 2 });
    expect(down.lastError).toMatch(/^SLIPWAY_E_NOTIFY_UNREACHABLE: .*ECONNREFUSED/);
    expect(logs.join("\n")).not.toContain(SECRET);
    receiver = await startReceiver();
  });

  it("gives up deliveries of a webhook no longer configured, without sending", async () => {
    const orphan = await enqueue("{}", "removed-hook");
    start(configFor(receiver.url));
    const row = await settled(orphan.id);
    expect(row).toMatchObject({ status: "failed", attempts: 0 });
    expect(row.lastError).toMatch(/^SLIPWAY_E_NOTIFY_WEBHOOK_GONE/);
    expect(receiver.received).toHaveLength(0);
  });

  it("gives a slow receiver at most 2 slots, so other webhooks' deliveries still go out", async () => {
    const slow = await startReceiver();
    try {
      for (let i = 0; i < 4; i++) slow.answers.push({ status: 204, delayMs: 1500 });
      const config = configFor(receiver.url, `  - {name: slow, url: '${slow.url}', events: [run.failed], timeout: 5s}`);
      const stuck = await Promise.all([1, 2, 3, 4].map(() => enqueue("{}", "slow")));
      const quick = await enqueue("{}", "ops");
      const started = Date.now();
      start(config);
      expect(await settled(quick.id)).toMatchObject({ status: "delivered" });
      expect(Date.now() - started).toBeLessThan(1000);
      expect(slow.received).toHaveLength(2);
      for (const d of stuck) expect(await settled(d.id)).toMatchObject({ status: "delivered", attempts: 1 });
      expect(slow.received).toHaveLength(4);
    } finally {
      await slow.close();
    }
  });

  it("finds other webhooks' due deliveries behind a slow webhook's backlog of any length", async () => {
    const slow = await startReceiver();
    try {
      for (let i = 0; i < 150; i++) slow.answers.push({ status: 204, delayMs: 2000 });
      const config = configFor(receiver.url, `  - {name: slow, url: '${slow.url}', events: [run.failed], timeout: 5s}`);
      // Older than the quick one, so they come first in due order: 150 rows, more than any page.
      const [first] = await store.notifications.createDeliveries(
        Array.from({ length: 150 }, () => ({
          eventId: "evt",
          webhook: "slow",
          event: "run.failed",
          owner: "runner-a",
          format: "json",
          body: "{}",
          maxAttempts: 1,
          nextAttemptAt: Date.now() - 1000,
        })),
      );
      expect(first).toBeDefined();
      const quick = await enqueue("{}", "ops");
      const started = Date.now();
      start(config);
      expect(await settled(quick.id)).toMatchObject({ status: "delivered" });
      expect(Date.now() - started).toBeLessThan(1500);
      expect(slow.received.length).toBeLessThanOrEqual(2);
    } finally {
      await dispatcher?.stop();
      dispatcher = undefined;
      await slow.close();
    }
  });

  it("does not spin on the store while the only due delivery is in flight", async () => {
    receiver.answers.push({ status: 204, delayMs: 800 });
    const row = await enqueue();
    let reads = 0;
    const counting = new Proxy(store.notifications, {
      get(target, key) {
        const value = Reflect.get(target, key);
        if (key === "dueDeliveries" || key === "nextDueAt") reads++;
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    // The poll is 50 ms here: 800 ms in flight is about 16 polls of two reads, not thousands.
    start(configFor(receiver.url), counting);
    expect(await settled(row.id)).toMatchObject({ status: "delivered" });
    expect(reads).toBeLessThan(80);
  });

  it("on stop, cuts an attempt in flight and leaves it pending and uncounted", async () => {
    receiver.answers.push({ status: 204, delayMs: 5000 });
    const row = await enqueue("{}", "ops", 3);
    const d = start(configFor(receiver.url, "    max_attempts: 3"));
    for (let i = 0; i < 100 && receiver.received.length === 0; i++) await sleep(20);
    const stopping = Date.now();
    await d.stop();
    dispatcher = undefined;
    expect(Date.now() - stopping).toBeLessThan(1000);
    expect(await store.notifications.getDelivery(row.id)).toMatchObject({ status: "pending", attempts: 0 });
  });
});
