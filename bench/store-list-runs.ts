/**
 * How fast the run listing answers on a store with history: inserts 10,000 runs into a fresh
 * SQLite store, then times 500 calls of each listing the dashboard and the API make. Prints
 * figures only; there is no pass/fail.
 *
 *   npx tsx bench/store-list-runs.ts
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { openStore, type RunFilter, type RunStatus } from "../store/index.js";

const RUNS = 10_000;
const CALLS = 500;
const REPOSITORIES = ["acme/api", "acme/web", "acme/worker", "acme/auth", "acme/billing"];
const REFS = ["develop", "feature/login", "feature/search", "release/1.4", "main", "v1.4.0"] as const;
const KINDS = {
  develop: "develop",
  "feature/login": "feature",
  "feature/search": "feature",
  "release/1.4": "release",
  main: "main",
  "v1.4.0": "tag",
} as const;
const FINAL: RunStatus[] = ["success", "success", "success", "failed", "cancelled"];

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

const dataDir = await mkdtemp(join(tmpdir(), "slipway-bench-store-"));
try {
  const store = await openStore(undefined, { dataDir });
  for (const name of REPOSITORIES) await store.upsertRepository({ name, url: `https://git.example/${name}.git` });

  const insertStart = performance.now();
  for (let i = 0; i < RUNS; i++) {
    const ref = REFS[i % REFS.length]!;
    const { run } = await store.createRun({
      repository: REPOSITORIES[i % REPOSITORIES.length]!,
      ref,
      sha: i.toString(16).padStart(40, "0"),
      flowKind: KINDS[ref],
      trigger: i % 7 === 0 ? "manual" : "push",
      dedupeKey: `delivery-${i}`,
      pipelineSnapshot: `name: bench\nstages:\n  - name: build\n    commands: [make ${i}]\n`,
    });
    // Most of history is finished; the newest few hundred are still queued or running.
    if (i < RUNS - 300) await store.updateRun(run.id, { status: FINAL[i % FINAL.length]!, finishedAt: Date.now() });
    else if (i % 2 === 0) await store.updateRun(run.id, { status: "running", startedAt: Date.now() });
  }
  const insertMs = performance.now() - insertStart;

  const deepCursor = (await store.listRuns({ limit: 500 })).nextCursor;
  const cases: [string, RunFilter][] = [
    ["listRuns({limit: 50})", { limit: 50 }],
    ["listRuns({repository, status: 'success', limit: 50})", { repository: "acme/web", status: "success", limit: 50 }],
    ["listRuns({repository, ref, limit: 50})", { repository: "acme/api", ref: "develop", limit: 50 }],
    ["listRuns({status: 'running', limit: 50})", { status: "running", limit: 50 }],
    ["listRuns({limit: 50, cursor: after 500 runs})", { limit: 50, cursor: deepCursor }],
  ];

  console.log(
    `SQLite store, ${RUNS} runs in ${REPOSITORIES.length} repositories (inserted in ${(insertMs / 1000).toFixed(1)} s, ${((insertMs * 1000) / RUNS).toFixed(0)} µs per createRun+updateRun)`,
  );
  console.log(`${"listing".padEnd(52)} ${"p50 ms".padStart(8)} ${"p99 ms".padStart(8)} ${"rows".padStart(5)}`);
  for (const [label, filter] of cases) {
    for (let i = 0; i < 20; i++) await store.listRuns(filter); // warm the statement cache and pages
    const times: number[] = [];
    let rows = 0;
    for (let i = 0; i < CALLS; i++) {
      const start = performance.now();
      rows = (await store.listRuns(filter)).runs.length;
      times.push(performance.now() - start);
    }
    times.sort((a, b) => a - b);
    console.log(
      `${label.padEnd(52)} ${percentile(times, 50).toFixed(3).padStart(8)} ${percentile(times, 99).toFixed(3).padStart(8)} ${String(rows).padStart(5)}`,
    );
  }
  await store.close();
} finally {
  await rm(dataDir, { recursive: true, force: true });
}
