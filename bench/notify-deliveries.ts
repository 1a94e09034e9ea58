/**
 * Outbound webhook delivery figures (no pass/fail): a real SQLite store, the real dispatcher
 * and real HTTP receivers on 127.0.0.1.
 * 1. 1,000 signed deliveries to a healthy receiver: wall time, throughput, and the latency from
 *    a delivery's creation to its arrival (p50/p95/max).
 * 2. The same 200 deliveries while another webhook's receiver holds every request for 3 s:
 *    the healthy webhook's latency (the slot limit per webhook keeps it unaffected).
 * 3. What a run pays: the time the run executor's bus publish takes with the notifier listening.
 *
 *   npm run bench -- bench/notify-deliveries.ts
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { loadConfig } from "../config/index.js";
import { Dispatcher, Notifier } from "../runner/notify/index.js";
import { LiveBus } from "../runner/serve/live-logs.js";
import { openStore } from "../store/index.js";
import { startReceiver } from "../test/helpers/receiver.js";
import { percentile } from "./lib.js";

const dir = mkdtempSync(join(tmpdir(), "slipway-bench-notify-"));
const healthy = await startReceiver();
const stuck = await startReceiver();
for (let i = 0; i < 1000; i++) stuck.answers.push({ status: 204, delayMs: 3000 });
writeFileSync(
  join(dir, "slipway.config.yml"),
  [
    "runner_id: bench",
    "notifications:",
    `  - {name: ok, url: '${healthy.url}', secret: {env: S}, events: [run.failed]}`,
    `  - {name: stuck, url: '${stuck.url}', events: [run.failed], timeout: 10s}`,
    "",
  ].join("\n"),
);
const config = loadConfig({ cwd: dir, env: { S: "bench-signing-secret" }, hostname: "bench" });
const store = await openStore(undefined, { dataDir: dir });
const dispatcher = new Dispatcher({ config, store: store.notifications, log: () => {}, mask: (t) => t });
dispatcher.start();

const body = JSON.stringify({ event: "run.failed", padding: "x".repeat(1500) });
async function burst(n: number, webhooks: string[]): Promise<{ wallMs: number; latencies: number[] }> {
  healthy.received.length = 0;
  const created = new Map<string, number>();
  const started = performance.now();
  for (let i = 0; i < n; i++) {
    const inputs = webhooks.map((webhook) => ({
      eventId: `e${i}`,
      webhook,
      event: "run.failed",
      owner: "bench",
      format: "json",
      body,
      maxAttempts: 3,
      nextAttemptAt: Date.now(),
    }));
    for (const row of await store.notifications.createDeliveries(inputs)) {
      if (row.webhook === "ok") created.set(row.id, Date.now());
    }
    dispatcher.wake();
  }
  while (healthy.received.length < n) await sleep(5);
  const wallMs = performance.now() - started;
  const latencies = healthy.received.map((r) => r.at - (created.get(String(r.headers["x-slipway-delivery"])) ?? r.at));
  return { wallMs, latencies };
}

const fmt = (ms: number) => `${ms.toFixed(0)} ms`;
const one = await burst(1000, ["ok"]);
console.log(
  `1,000 deliveries to one receiver: ${fmt(one.wallMs)} (${((1000 / one.wallMs) * 1000).toFixed(0)}/s); ` +
    `creation → arrival p50 ${fmt(percentile(one.latencies, 50))}, p95 ${fmt(percentile(one.latencies, 95))}, max ${fmt(Math.max(...one.latencies))}`,
);
const two = await burst(200, ["stuck", "ok"]);
console.log(
  `200 deliveries beside a receiver holding each request 3 s: ${fmt(two.wallMs)}; ` +
    `healthy webhook p50 ${fmt(percentile(two.latencies, 50))}, p95 ${fmt(percentile(two.latencies, 95))}, max ${fmt(Math.max(...two.latencies))}`,
);
await dispatcher.stop();

// What a run pays for being heard: the publish is synchronous; everything else is queued.
const bus = new LiveBus();
const notifier = new Notifier({ config, store, bus, log: () => {} });
notifier.start();
const publishes: number[] = [];
for (let i = 0; i < 10_000; i++) {
  const t = performance.now();
  bus.publish({ type: "run", runId: `missing-${i}`, status: "failed" });
  publishes.push((performance.now() - t) * 1000);
}
await notifier.stop();
console.log(
  `bus publish of a run change with the notifier listening: p50 ${percentile(publishes, 50).toFixed(1)} µs, p99 ${percentile(publishes, 99).toFixed(1)} µs`,
);

await store.close();
await healthy.close();
await stuck.close();
rmSync(dir, { recursive: true, force: true });
