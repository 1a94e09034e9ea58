/**
 * A step printing 50 MB through `slipway serve` (one build stage in busybox, triggered with
 * POST /api/repos/:repo/runs) against the same command as a raw `docker run --rm` with its
 * output to /dev/null. Reports the stage duration and trigger→finished wall time vs raw, the
 * daemon's RSS (it runs in this process: sampled every 50 ms) and event-loop delay during the
 * run, checks the stored log byte for byte (size and content), and times downloading the log.
 *
 *   node bin/run-ts.js bench/serve-big-log.ts [runs]
 */
import { execFileSync } from "node:child_process";
import { monitorEventLoopDelay } from "node:perf_hooks";
import type { RunRow, StageRow } from "../store/index.js";
import { createOrigin, startTestDaemon } from "../test/helpers/serve.js";
import { median, nowMs, timeCommand } from "./lib.js";

const RUNS = Number(process.argv[2] ?? 3);
const BYTES = 50 * 1024 * 1024;
const LINE = "0123456789012345678901234567890123456789012345678"; // 49 characters + "\n" = 50 bytes
const COMMAND = `yes ${LINE} | head -c ${BYTES}`;
const PIPELINE = [
  "name: big-log",
  "builders:",
  "  box: { image: busybox:latest }",
  "stages:",
  "  - name: big",
  "    builder: box",
  `    commands: ["${COMMAND}"]`,
  "",
].join("\n");

const MB = 1024 * 1024;
const rssMb = () => process.memoryUsage().rss / MB;

const origin = createOrigin({ "slipway.yml": PIPELINE });
const daemon = await startTestDaemon(
  ["repositories:", "  - name: big", `    url: ${origin.bare}`, "    poll: false", ""].join("\n"),
);

interface Result {
  stageMs: number;
  wallMs: number;
  /** Trigger → stage's last log write stored (stage end + log flush). */
  baselineRss: number;
  peakRss: number;
  peakHeap: number;
  loopMaxMs: number;
  loopP99Ms: number;
  logSize: number;
  lineBytes: number;
  otherBytes: number;
  badLines: number;
  downloadMs: number;
  downloadBytes: number;
  downloadPeakRss: number;
}

async function sampleWhile<T>(fn: () => Promise<T>): Promise<{ value: T; peakRss: number; peakHeap: number }> {
  let peakRss = rssMb();
  let peakHeap = process.memoryUsage().heapUsed / MB;
  const timer = setInterval(() => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss / MB);
    peakHeap = Math.max(peakHeap, m.heapUsed / MB);
  }, 50);
  try {
    const value = await fn();
    return { value, peakRss: Math.max(peakRss, rssMb()), peakHeap };
  } finally {
    clearInterval(timer);
  }
}

async function oneRun(): Promise<Result> {
  const baselineRss = rssMb();
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const t0 = nowMs();
  const {
    value: done,
    peakRss,
    peakHeap,
  } = await sampleWhile(async () => {
    const created = await daemon.api<{ run: RunRow }>("POST", "/api/repos/big/runs", { ref: "develop" });
    if (created.status !== 201) throw new Error(`trigger: ${created.status} ${JSON.stringify(created.body)}`);
    const id = created.body.run.id;
    for (;;) {
      const run = await daemon.ctx.store.getRun(id);
      if (run && run.status !== "queued" && run.status !== "running") return run;
      await new Promise((r) => setTimeout(r, 50));
    }
  });
  loop.disable();
  const wallMs = (done.finishedAt ?? Date.now()) - t0;
  if (done.status !== "success") throw new Error(`run ${done.id} ${done.status}: ${done.error}`);
  const { body } = await daemon.api<{ stages: StageRow[] }>("GET", `/api/runs/${done.id}`);
  const stage = body.stages.find((s) => s.name === "big");

  // The stored log: its size, and every line either the step's output line or a Slipway line.
  const store = daemon.ctx.store;
  const logSize = await store.logSize(done.id, "big");
  let lineBytes = 0;
  let otherBytes = 0;
  let badLines = 0;
  let carry = "";
  const account = (line: string) => {
    if (line === LINE) lineBytes += LINE.length + 1;
    else {
      otherBytes += Buffer.byteLength(line) + 1;
      if (!line.startsWith("$ ") && !/^(==|builder |─|-)/.test(line) && line.trim() !== "") badLines++;
    }
  };
  for await (const text of store.readLog(done.id, "big")) {
    const parts = (carry + text).split("\n");
    carry = parts.pop() ?? "";
    for (const line of parts) account(line);
  }
  if (carry) account(carry);

  // Downloading the whole log over the API (streamed from the store).
  const dl = await sampleWhile(async () => {
    const started = nowMs();
    const res = await fetch(`${daemon.url}/api/runs/${done.id}/logs/big`, {
      headers: { authorization: "Bearer test-token-0123456789abcdef" },
    });
    let bytes = 0;
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) bytes += chunk.length;
    return { ms: nowMs() - started, bytes };
  });
  return {
    stageMs: stage?.durationMs ?? Number.NaN,
    wallMs,
    baselineRss,
    peakRss,
    peakHeap,
    loopMaxMs: loop.max / 1e6,
    loopP99Ms: loop.percentile(99) / 1e6,
    logSize,
    lineBytes,
    otherBytes,
    badLines,
    downloadMs: dl.value.ms,
    downloadBytes: dl.value.bytes,
    downloadPeakRss: dl.peakRss,
  };
}

try {
  // Raw: the same command, output through the docker CLI to /dev/null.
  timeCommand("docker", ["run", "--rm", "busybox:latest", "true"]);
  const raw: number[] = [];
  for (let i = 0; i < 3; i++) raw.push(timeCommand("docker", ["run", "--rm", "busybox:latest", "sh", "-c", COMMAND]));
  // The path Slipway takes (start, then follow the logs API), done with the CLI: `run -d` + `logs -f`.
  const followed: number[] = [];
  for (let i = 0; i < 2; i++) {
    const started = nowMs();
    const id = execFileSync("docker", ["run", "-d", "busybox:latest", "sh", "-c", COMMAND]).toString().trim();
    timeCommand("docker", ["logs", "-f", id]);
    followed.push(nowMs() - started);
    execFileSync("docker", ["rm", "-f", id], { stdio: "ignore" });
  }
  const results: Result[] = [];
  for (let i = 0; i < RUNS; i++) {
    const r = await oneRun();
    results.push(r);
    console.log(
      `run ${i + 1}: stage ${(r.stageMs / 1000).toFixed(2)} s, trigger→finished ${(r.wallMs / 1000).toFixed(2)} s, RSS ${r.baselineRss.toFixed(0)} → peak ${r.peakRss.toFixed(0)} MB (heap peak ${r.peakHeap.toFixed(0)} MB), event-loop delay p99 ${r.loopP99Ms.toFixed(0)} ms max ${r.loopMaxMs.toFixed(0)} ms`,
    );
    console.log(
      `        stored log ${r.logSize} B = ${r.lineBytes} B of step output (expected ${BYTES}: ${r.lineBytes === BYTES ? "ok" : "MISMATCH"}) + ${r.otherBytes} B of Slipway lines; unexpected lines ${r.badLines}; streamed total ${r.lineBytes + r.otherBytes === r.logSize ? "= logSize" : "≠ logSize"}`,
    );
    console.log(
      `        GET /logs/big: ${(r.downloadBytes / MB).toFixed(1)} MB in ${(r.downloadMs / 1000).toFixed(2)} s, peak RSS ${r.downloadPeakRss.toFixed(0)} MB`,
    );
  }
  const rawMed = median(raw);
  console.log(
    `raw docker run -d + docker logs -f > /dev/null: ${followed.map((t) => (t / 1000).toFixed(2)).join(", ")} s (median ${(median(followed) / 1000).toFixed(2)} s, ${(median(followed) / rawMed).toFixed(2)}x docker run)`,
  );
  const stageMed = median(results.map((r) => r.stageMs));
  const wallMed = median(results.map((r) => r.wallMs));
  console.log(
    `raw docker run --rm ... > /dev/null: ${raw.map((t) => (t / 1000).toFixed(2)).join(", ")} s (median ${(rawMed / 1000).toFixed(2)} s)`,
  );
  console.log(
    `slipway median: stage ${(stageMed / 1000).toFixed(2)} s (${(stageMed / rawMed).toFixed(2)}x raw), trigger→finished ${(wallMed / 1000).toFixed(2)} s (${(wallMed / rawMed).toFixed(2)}x raw)  (goal <= 1.2x)`,
  );
  console.log(`peak RSS over runs: ${Math.max(...results.map((r) => r.peakRss)).toFixed(0)} MB (goal < 300 MB)`);
} finally {
  await daemon.stop();
  origin.cleanup();
}
