import { createHmac } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Metrics } from "../../../runner/serve/metrics.js";
import { createOrigin, HOOK_SECRET, startTestDaemon, type TestDaemon } from "../../helpers/serve.js";

/** `name{labels} value` of one sample in a Prometheus text exposition, NaN when absent. */
function sample(text: string, series: string): number {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? Number.NaN : Number(line.slice(series.length + 1));
}

const config = (bare: string, extra: string[] = []) =>
  [
    ...extra,
    "repositories:",
    "  - name: hooks",
    `    url: ${bare}`,
    "    webhook_secret: { env: HOOK_SECRET }",
    "",
  ].join("\n");

describe("metrics through prom-client: one Registry per daemon", () => {
  let origin: ReturnType<typeof createOrigin>;
  let first: TestDaemon;
  let second: TestDaemon;

  beforeAll(async () => {
    origin = createOrigin({ "slipway.yml": "name: hooks\nstages: []\n" });
    first = await startTestDaemon(config(origin.bare));
    // The second daemon in the same process: prom-client's global registry would refuse its
    // metric names ("already registered") or mix both daemons' counts.
    second = await startTestDaemon(config(origin.bare, ["public_read: false"]));
  });
  afterAll(async () => {
    await first?.stop();
    await second?.stop();
    origin?.cleanup();
  });

  const scrape = async (daemon: TestDaemon) => {
    const res = await fetch(`${daemon.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    return res.text();
  };
  const hook = (daemon: TestDaemon, repo: string, headers: Record<string, string>, body: string) =>
    fetch(`${daemon.url}/api/hooks/${repo}`, { method: "POST", headers, body });

  it("counts inbound webhook deliveries by outcome, on the daemon that got them only", async () => {
    const plain = (ref: string, secret = HOOK_SECRET) => ({
      headers: { authorization: `Bearer ${secret}`, "content-type": "application/json" },
      body: JSON.stringify({ ref, sha: "a".repeat(40) }),
    });
    const bad = plain("refs/heads/develop", "not-the-secret");
    expect((await hook(first, "hooks", bad.headers, bad.body)).status).toBe(401);
    expect((await hook(first, "nowhere", bad.headers, bad.body)).status).toBe(404);
    const unfollowed = plain("refs/heads/wip/not-followed");
    expect((await hook(first, "hooks", unfollowed.headers, unfollowed.body)).status).toBe(202);
    const ping = JSON.stringify({ zen: "keep it logically awesome", hook_id: 1 });
    const signature = `sha256=${createHmac("sha256", HOOK_SECRET).update(ping).digest("hex")}`;
    const pingHeaders = {
      "content-type": "application/json",
      "x-github-event": "ping",
      "x-github-delivery": "d-1",
      "x-hub-signature-256": signature,
    };
    expect((await hook(first, "hooks", pingHeaders, ping)).status).toBe(200);

    const text = await scrape(first);
    expect(text).toContain("# TYPE slipway_webhook_deliveries_total counter");
    expect(sample(text, 'slipway_webhook_deliveries_total{outcome="refused"}')).toBe(2);
    expect(sample(text, 'slipway_webhook_deliveries_total{outcome="ignored"}')).toBe(1);
    expect(sample(text, 'slipway_webhook_deliveries_total{outcome="ping"}')).toBe(1);
    expect(sample(text, 'slipway_webhook_deliveries_total{outcome="started"}')).toBe(0);
    const other = await scrape(second);
    expect(sample(other, 'slipway_webhook_deliveries_total{outcome="refused"}')).toBe(0);
    expect(sample(other, 'slipway_webhook_deliveries_total{outcome="ping"}')).toBe(0);
  });

  it("exposes Node's default process metrics and Slipway's own, with their types", async () => {
    const text = await scrape(first);
    for (const name of [
      "process_cpu_user_seconds_total",
      "process_resident_memory_bytes",
      "nodejs_eventloop_lag_seconds",
    ]) {
      expect(Number.isFinite(sample(text, name)), name).toBe(true);
    }
    expect(text).toContain("# TYPE slipway_runs_total counter");
    expect(sample(text, 'slipway_runs_total{status="success"}')).toBe(0);
    expect(text).toContain("# TYPE slipway_queue_depth gauge");
    expect(sample(text, "slipway_queue_depth")).toBe(0);
    expect(sample(text, "slipway_runs_running")).toBe(0);
    expect(text).toContain("# TYPE slipway_stage_duration_seconds histogram");
    expect(text).toContain("# TYPE slipway_unexpected_errors_total counter");
    expect(sample(text, 'slipway_unexpected_errors_total{source="api"}')).toBe(0);
  });

  it("/metrics stays open without a token when public_read is false, like /healthz", async () => {
    const res = await fetch(`${second.url}/metrics`);
    expect(res.status).toBe(200);
    expect((await fetch(`${second.url}/api/runs`)).status).toBe(401);
  });
});

describe("Metrics (the class the daemon scrapes)", () => {
  it("counts finished runs by status, ignoring statuses that are not a finish", async () => {
    const m = new Metrics();
    m.runFinished("success");
    m.runFinished("success");
    m.runFinished("failed");
    m.runFinished("queued");
    m.runFinished("running");
    const text = await m.render();
    expect(sample(text, 'slipway_runs_total{status="success"}')).toBe(2);
    expect(sample(text, 'slipway_runs_total{status="failed"}')).toBe(1);
    expect(sample(text, 'slipway_runs_total{status="cancelled"}')).toBe(0);
    expect(text).not.toContain('status="queued"');
  });

  it("observes stage durations in seconds into the histogram's buckets", async () => {
    const m = new Metrics();
    m.stageFinished("build", 4_000);
    m.stageFinished("build", 90_000);
    const text = await m.render();
    expect(sample(text, 'slipway_stage_duration_seconds_bucket{le="1",type="build"}')).toBe(0);
    expect(sample(text, 'slipway_stage_duration_seconds_bucket{le="5",type="build"}')).toBe(1);
    expect(sample(text, 'slipway_stage_duration_seconds_bucket{le="120",type="build"}')).toBe(2);
    expect(sample(text, 'slipway_stage_duration_seconds_bucket{le="+Inf",type="build"}')).toBe(2);
    expect(sample(text, 'slipway_stage_duration_seconds_sum{type="build"}')).toBe(94);
    expect(sample(text, 'slipway_stage_duration_seconds_count{type="build"}')).toBe(2);
  });

  it("reads the queue gauges once per scrape from the watched source", async () => {
    const m = new Metrics();
    let reads = 0;
    m.watchQueue(async () => {
      reads++;
      return { queued: 3, running: 2 };
    });
    const text = await m.render();
    expect(sample(text, "slipway_queue_depth")).toBe(3);
    expect(sample(text, "slipway_runs_running")).toBe(2);
    expect(reads).toBe(1);
  });

  it("two instances keep separate counts", async () => {
    const a = new Metrics();
    const b = new Metrics();
    a.unexpectedError("claim");
    expect(sample(await a.render(), 'slipway_unexpected_errors_total{source="claim"}')).toBe(1);
    expect(sample(await b.render(), 'slipway_unexpected_errors_total{source="claim"}')).toBe(0);
  });
});
