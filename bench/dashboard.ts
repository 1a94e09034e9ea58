/**
 * The dashboard under load, in Debian's chromium against a real `slipway serve` (a child
 * process, so its CPU and RSS are its own):
 *   1. overview with 1,000 stored runs (4 repositories x 250, 5 stages each): time from
 *      navigation to the first table row painted (the overview shows the 50 newest per repository);
 *   2. a finished stage with a 200,000-line log: time from navigation to its last line on
 *      screen, then frames per second while the log is scrolled top to bottom;
 *   3. 100 dashboards following a live log: 100 log SSE streams plus 100 `/api/events`
 *      streams on a stage printing 50 lines/s for 20 s; the daemon's CPU (% of one core) and RSS.
 * Needs `npm run build` and `npm run build:ui` first.
 *
 *   node bin/run-ts.js bench/dashboard.ts
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openStore, type RunStatus } from "../store/index.js";
import { launchBrowser } from "../test/helpers/browser.js";
import { ROOT } from "../test/helpers/fixture-repo.js";
import { API_TOKEN, createOrigin } from "../test/helpers/serve.js";
import { median } from "./lib.js";

const REPOS = ["api", "web", "worker", "billing"];
const PER_REPO = 250;
const LOG_LINES = 200_000;
const FOLLOWERS = 100;

const root = mkdtempSync(join(tmpdir(), "slipway-bench-dash-"));
const dataDir = join(root, "data");
const busy = 'i=0; while [ $i -lt 1000 ]; do echo "live line $i $(date +%s%N)"; i=$((i+1)); sleep 0.02; done';
const origin = createOrigin({
  "slipway.yml": `name: bench\nbuilders:\n  box: { image: busybox:latest }\nstages:\n  - name: build\n    builder: box\n    commands: [${JSON.stringify(busy)}]\n`,
});
const configFile = join(root, "slipway.config.yml");
writeFileSync(configFile, `repositories:\n${REPOS.map((r) => `  - name: ${r}\n    url: ${origin.bare}\n`).join("")}`);

// Seed the store before the daemon starts (it holds the data dir's lock while it runs).
const store = await openStore(undefined, { dataDir });
await store.migrate();
const STATUSES: RunStatus[] = ["success", "success", "success", "failed", "cancelled"];
let bigRun = "";
for (const repo of REPOS) {
  await store.upsertRepository({ name: repo, url: origin.bare });
  for (let i = 0; i < PER_REPO; i++) {
    const { run } = await store.createRun({
      repository: repo,
      ref: "refs/heads/develop",
      sha: "a".repeat(40),
      flowKind: "develop",
      trigger: "push",
      actor: "bench",
    });
    const status = STATUSES[i % STATUSES.length] ?? "success";
    const t = Date.now() - (PER_REPO - i) * 60_000;
    await store.updateRun(run.id, { status, version: `develop-${run.number}`, startedAt: t, finishedAt: t + 42_000 });
    for (const [p, name] of ["build", "package", "integration", "push", "deploy"].entries()) {
      await store.upsertStage(run.id, {
        name,
        type: name,
        position: p,
        status: p === 4 && status !== "success" ? "skipped" : "success",
        startedAt: t + p * 8000,
        finishedAt: t + p * 8000 + 7000,
        durationMs: 7000,
      });
    }
    bigRun = run.id;
  }
}
// The newest run's build log: 200,000 lines, appended in 1,000-line pieces as a step would.
for (let i = 0; i < LOG_LINES; i += 1000) {
  const lines: string[] = [];
  for (let j = i; j < i + 1000; j++)
    lines.push(`\x1b[32mok\x1b[0m line ${j + 1} of the big log: some typical build output here`);
  await store.appendLog(bigRun, "build", `${lines.join("\n")}\n`);
}
await store.close();

const daemon: ChildProcess = spawn(
  process.execPath,
  [join(ROOT, "bin", "slipway.js"), "serve", "--config", configFile],
  {
    env: {
      ...process.env,
      SLIPWAY_LISTEN: "127.0.0.1:0",
      SLIPWAY_DATA_DIR: dataDir,
      SLIPWAY_API_TOKEN: API_TOKEN,
      SLIPWAY_RUNNER_ID: "slipway-test-bench-dashboard",
    },
    stdio: ["ignore", "pipe", "inherit"],
  },
);
const url = await new Promise<string>((resolve, reject) => {
  let out = "";
  daemon.stdout?.on("data", (d: Buffer) => {
    out += d.toString();
    const m = /listening on (http:\/\/[\d.:]+)/.exec(out);
    if (m?.[1]) resolve(m[1]);
  });
  daemon.once("exit", (code) => reject(new Error(`slipway serve exited ${code}: ${out}`)));
});

/** utime+stime (clock ticks) and RSS (pages) of the daemon, from /proc. */
function sample(pid: number): { cpuMs: number; rssMb: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]);
  const rssPages = Number(fields[21]);
  return { cpuMs: (ticks * 1000) / 100, rssMb: (rssPages * 4096) / 1048576 };
}

const browser = await launchBrowser();
try {
  const page = await browser.context.newPage();
  // 1. Overview, first paint of the runs table (median of 5 cold navigations).
  const overview: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = Date.now();
    await page.goto(`${url}/`, { waitUntil: "commit" });
    await page.locator("table.runs tbody tr").first().waitFor();
    overview.push(Date.now() - t0);
  }
  const rows = await page.locator("table.runs tbody tr").count();
  console.log(
    `overview, ${REPOS.length * PER_REPO} stored runs (${rows} rows shown): first render median ${median(overview)} ms (runs: ${overview.join(", ")})`,
  );

  // 2. The 200,000-line log: time to its tail, then scrolling frame rate.
  const tail: number[] = [];
  for (let i = 0; i < 3; i++) {
    await page.goto(`${url}/runs/${bigRun}`);
    const button = page.locator('button.stage[data-stage="build"]');
    await button.waitFor();
    // From the click on the stage to its last line painted (fetch, split, render, scroll).
    const t0 = Date.now();
    await button.click();
    await page.locator(".log-line", { hasText: `line ${LOG_LINES} of the big log` }).waitFor({ timeout: 60_000 });
    tail.push(Date.now() - t0);
  }
  console.log(
    `run page, ${LOG_LINES.toLocaleString()}-line log: tail on screen median ${median(tail)} ms (runs: ${tail.join(", ")})`,
  );
  // Run in the page (a string, so the daemon-side tsconfig needs no DOM types).
  const fps = (await page.evaluate(`(async () => {
    const box = document.querySelector(".log-box");
    box.scrollTop = 0;
    await new Promise((r) => requestAnimationFrame(r));
    let frames = 0;
    const start = performance.now();
    // Scroll through the whole log in 3 seconds: each frame jumps to where the time says.
    while (performance.now() - start < 3000) {
      await new Promise((r) => requestAnimationFrame(r));
      frames++;
      box.scrollTop = ((performance.now() - start) / 3000) * box.scrollHeight;
    }
    return (frames * 1000) / (performance.now() - start);
  })()`)) as number;
  console.log(
    `run page, ${LOG_LINES.toLocaleString()}-line log: ${fps.toFixed(1)} frames/s while scrolling top to bottom in 3 s`,
  );
  await page.close();

  // 3. 100 followers of a live log.
  const pid = daemon.pid as number;
  const idle = sample(pid);
  const trig = await fetch(`${url}/api/repos/api/runs`, {
    method: "POST",
    headers: { authorization: `Bearer ${API_TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify({ ref: "develop" }),
  });
  const { run } = (await trig.json()) as { run: { id: string } };
  for (;;) {
    const d = (await (await fetch(`${url}/api/runs/${run.id}`)).json()) as {
      stages: { name: string; status: string }[];
    };
    if (d.stages.some((s) => s.name === "build" && s.status === "running")) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const controller = new AbortController();
  let received = 0;
  const drain = async (path: string) => {
    const res = await fetch(`${url}${path}`, { headers: { accept: "text/event-stream" }, signal: controller.signal });
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) received += chunk.length;
    } catch {}
  };
  const streams = [];
  for (let i = 0; i < FOLLOWERS; i++) {
    streams.push(drain(`/api/runs/${run.id}/logs/build?follow=1`), drain("/api/events"));
  }
  const before = sample(pid);
  const t0 = Date.now();
  let peakRss = before.rssMb;
  while (Date.now() - t0 < 15_000) {
    await new Promise((r) => setTimeout(r, 500));
    peakRss = Math.max(peakRss, sample(pid).rssMb);
  }
  const after = sample(pid);
  const cpu = ((after.cpuMs - before.cpuMs) / (Date.now() - t0)) * 100;
  console.log(
    `${FOLLOWERS} dashboards following a live log (${FOLLOWERS * 2} SSE streams, ~50 lines/s): daemon CPU ${cpu.toFixed(1)}% of one core, RSS ${before.rssMb.toFixed(0)} MB at start, peak ${peakRss.toFixed(0)} MB (idle before: ${idle.rssMb.toFixed(0)} MB); ${(received / 1048576).toFixed(1)} MiB delivered in ${((Date.now() - t0) / 1000).toFixed(0)} s`,
  );
  controller.abort();
  await Promise.allSettled(streams);
  await fetch(`${url}/api/runs/${run.id}/cancel`, {
    method: "POST",
    headers: { authorization: `Bearer ${API_TOKEN}` },
  });
} finally {
  await browser.close();
  daemon.kill("SIGTERM");
  await new Promise((r) => daemon.once("exit", r));
  origin.cleanup();
  rmSync(root, { recursive: true, force: true });
}
