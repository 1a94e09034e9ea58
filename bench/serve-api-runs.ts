/**
 * `GET /api/runs` latency of `slipway serve` over HTTP, on a SQLite store holding 10,000 runs
 * spread over 3 repositories with mixed statuses (inserted through the daemon's own store).
 * 500 sequential fetches per case; p50/p99 of the client-side round trip (body read included).
 * The scheduler is stopped before the inserts, so no inserted run is claimed and executed.
 *
 *   node bin/run-ts.js bench/serve-api-runs.ts
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { RunRow, RunStatus } from "../store/index.js";
import { ROOT } from "../test/helpers/fixture-repo.js";
import { API_TOKEN, createOrigin, startTestDaemon } from "../test/helpers/serve.js";
import { median, nowMs, percentile } from "./lib.js";

const RUNS = 10_000;
const CALLS = 500;
const REPOS = ["api", "web", "worker"];
const REFS = [
  ["refs/heads/develop", "develop"],
  ["refs/heads/feature/login", "feature"],
  ["refs/heads/release/1.4", "release"],
  ["refs/heads/main", "main"],
  ["refs/tags/v1.4.0", "tag"],
] as const;
const FINAL: RunStatus[] = ["success", "success", "success", "failed", "cancelled"];
// A real pipeline file: every run row carries its snapshot, and the listing returns it.
const SNAPSHOT = readFileSync(join(ROOT, "examples", "hello-node", "slipway.yml"), "utf8");

const origin = createOrigin({ "slipway.yml": SNAPSHOT });
const daemon = await startTestDaemon(
  `repositories:\n${REPOS.map((r) => `  - name: ${r}\n    url: ${origin.bare}\n`).join("")}`,
);
try {
  await daemon.ctx.scheduler.stop();
  const store = daemon.ctx.store;
  const insertStart = nowMs();
  for (let i = 0; i < RUNS; i++) {
    const [ref, flowKind] = REFS[i % REFS.length]!;
    const { run } = await store.createRun({
      repository: REPOS[i % REPOS.length]!,
      ref,
      sha: i.toString(16).padStart(40, "0"),
      flowKind,
      trigger: i % 7 === 0 ? "manual" : "push",
      dedupeKey: `hook:delivery-${i}`,
      pipelineSnapshot: SNAPSHOT,
    });
    const now = Date.now();
    if (i < RUNS - 20) {
      await store.updateRun(run.id, {
        status: FINAL[i % FINAL.length]!,
        owner: "slipway-bench",
        version: `develop-${run.number}`,
        startedAt: now,
        finishedAt: now,
        error: i % 5 === 3 ? "stage test failed: exit code 1" : null,
      });
    } else {
      await store.updateRun(run.id, { status: "running", owner: "slipway-bench-other", startedAt: now });
    }
  }
  const insertMs = nowMs() - insertStart;

  const first = await daemon.api<{ runs: RunRow[]; nextCursor?: string }>("GET", "/api/runs?limit=50");
  let cursor = first.body.nextCursor;
  for (let page = 1; page < 10 && cursor; page++) {
    cursor = (await daemon.api<{ nextCursor?: string }>("GET", `/api/runs?limit=50&cursor=${cursor}`)).body.nextCursor;
  }
  const cases: [string, string][] = [
    ["limit=50", "/api/runs?limit=50"],
    ["repository=web&status=success (limit 50)", "/api/runs?repository=web&status=success"],
    ["repository=web&status=running (sparse)", "/api/runs?repository=web&status=running"],
    ["limit=50&cursor=<after 500 runs>", `/api/runs?limit=50&cursor=${cursor}`],
    ["limit=500", "/api/runs?limit=500"],
  ];
  const headers = { authorization: `Bearer ${API_TOKEN}` };
  console.log(
    `SQLite store, ${RUNS} runs in ${REPOS.length} repositories (inserted in ${(insertMs / 1000).toFixed(1)} s), ${CALLS} sequential fetches per case, pipeline snapshot ${SNAPSHOT.length} B per run`,
  );
  console.log(
    `${"GET /api/runs?...".padEnd(44)} ${"p50 ms".padStart(7)} ${"p99 ms".padStart(7)} ${"max ms".padStart(7)} ${"rows".padStart(5)} ${"body KB".padStart(8)}`,
  );
  for (const [label, path] of cases) {
    let rows = 0;
    let bytes = 0;
    const once = async () => {
      const res = await fetch(`${daemon.url}${path}`, { headers });
      const text = await res.text();
      if (res.status !== 200) throw new Error(`${path}: ${res.status} ${text}`);
      bytes = text.length;
      rows = (JSON.parse(text) as { runs: unknown[] }).runs.length;
    };
    for (let i = 0; i < 20; i++) await once(); // warm-up: connection, statement cache, JIT
    const times: number[] = [];
    for (let i = 0; i < CALLS; i++) {
      const started = nowMs();
      await once();
      times.push(nowMs() - started);
    }
    console.log(
      `${label.padEnd(44)} ${percentile(times, 50).toFixed(2).padStart(7)} ${percentile(times, 99).toFixed(2).padStart(7)} ${Math.max(
        ...times,
      )
        .toFixed(2)
        .padStart(7)} ${String(rows).padStart(5)} ${(bytes / 1024).toFixed(0).padStart(8)}`,
    );
  }
  // Where the time goes for the default page: the store call alone, same process.
  const storeTimes: number[] = [];
  for (let i = 0; i < CALLS; i++) {
    const started = nowMs();
    await store.listRuns({ limit: 50 });
    storeTimes.push(nowMs() - started);
  }
  console.log(
    `store.listRuns({limit: 50}) alone, in process: p50 ${median(storeTimes).toFixed(2)} ms, p99 ${percentile(storeTimes, 99).toFixed(2)} ms`,
  );
} finally {
  await daemon.stop();
  origin.cleanup();
}
