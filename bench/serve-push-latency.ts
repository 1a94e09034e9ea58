/**
 * Push-to-container latency of `slipway serve`: time from `git push` (a bare origin whose
 * post-receive hook calls the webhook with curl) to the first step container of the run
 * being started by the engine (its `start` event, engine time). The builder is a stock image
 * (`busybox:latest`), so no image build is involved; the step is `sleep 1`. Each push is a
 * new commit on develop, and the next push waits for the run to finish.
 *
 * The breakdown instruments the daemon's own objects in this process (triggers, source cache,
 * engine) by wrapping their methods; the runner's code is not changed.
 *
 *   node bin/run-ts.js bench/serve-push-latency.ts [pushes]
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import Docker from "dockerode";
import type { DockerEngine } from "../engine/index.js";
import { git, gitAsync } from "../test/helpers/fixture-repo.js";
import { createOrigin, installPostReceive, startTestDaemon } from "../test/helpers/serve.js";
import { median, nowMs, percentile, type TracedCall, traceMethods, watchContainerStarts } from "./lib.js";

const PUSHES = Number(process.argv[2] ?? 15);
const PIPELINE = [
  "name: latency",
  "builders:",
  "  box: { image: busybox:latest }",
  "stages:",
  "  - name: build",
  "    builder: box",
  '    commands: ["sleep 1"]',
  "",
].join("\n");

const origin = createOrigin({ "slipway.yml": PIPELINE, COUNTER: "0\n" });
const daemon = await startTestDaemon(
  [
    "repositories:",
    "  - name: latency",
    `    url: ${origin.bare}`,
    "    webhook_secret: { env: HOOK_SECRET }",
    "",
  ].join("\n"),
);
installPostReceive(origin.bare, `${daemon.url}/api/hooks/latency`);
const engine = daemon.ctx.engine as DockerEngine;
// The bench's own dockerode client: it watches the daemon's events and times a raw
// create + start as the reference, both beside Slipway rather than through it.
const docker = new Docker();
const starts = await watchContainerStarts(docker, ["io.slipway.role=builder"]);

const calls: TracedCall[] = [];
const createdRuns: string[] = [];
const originalTrigger = daemon.ctx.triggers.trigger.bind(daemon.ctx.triggers);
daemon.ctx.triggers.trigger = async (repo, req) => {
  const result = await originalTrigger(repo, req);
  if (result.started && !result.duplicate) createdRuns.push(result.run.id);
  return result;
};
traceMethods(daemon.ctx.triggers, ["trigger"], calls);
traceMethods(daemon.ctx.sources, ["sync", "checkout"], calls, "sources.");
traceMethods(
  engine,
  ["createVolume", "ensureImage", "createContainer", "copyToContainer", "removeContainer", "startContainer"],
  calls,
  "engine.",
);

interface Sample {
  total: number;
  pushExit: number;
  phases: Record<string, number>;
}

async function onePush(i: number): Promise<Sample> {
  writeFileSync(join(origin.work, "COUNTER"), `${i + 1}\n`);
  git(origin.work, "commit", "-qam", `push ${i}`);
  calls.length = 0;
  const before = createdRuns.length;
  const t0 = nowMs();
  const push = gitAsync(origin.work, "push", "-q", "origin", "develop").then(() => nowMs());
  const runId = await (async () => {
    for (;;) {
      const id = createdRuns[before];
      if (id) return id;
      await new Promise((r) => setTimeout(r, 2));
    }
  })();
  const start = await starts.next((e) => e.labels["io.slipway.run"] === runId);
  const pushExit = await push;
  const done = await daemon.waitForRun(runId);
  if (done.run.status !== "success") throw new Error(`run ${runId} ${done.run.status}: ${done.run.error}`);
  const stage = done.stages[0];
  const first = (name: string) => calls.find((c) => c.name === name);
  const trigger = first("trigger");
  const sync = first("sources.sync");
  const checkout = first("sources.checkout");
  const creates = calls.filter((c) => c.name === "engine.createContainer");
  const seed = creates[0];
  const step = creates[1];
  const startCall = first("engine.startContainer");
  const ph: Record<string, number> = {};
  // Consecutive marks: each phase is the time from the previous mark to this one.
  const marks: [string, number | undefined][] = [
    ["push → webhook handler", trigger?.start],
    ["mirror fetch (sources.sync)", sync?.end],
    ["refs/pipeline read + createRun", done.run.createdAt],
    ["→ claimed (run.startedAt)", done.run.startedAt ?? undefined],
    ["→ worktree checkout done", checkout?.end],
    ["→ stage started (stage.startedAt)", stage?.startedAt ?? undefined],
    ["→ step container created (incl. seed)", step?.end],
    ["→ start call returned", startCall?.end],
  ];
  let previous = t0;
  for (const [label, at] of marks) {
    if (at === undefined) continue;
    ph[label] = at - previous;
    previous = at;
  }
  ph["start event vs previous mark"] = start.atMs - previous;
  if (seed)
    ph["(within) workspace seed: create+copy+remove"] =
      (calls.find((c) => c.name === "engine.removeContainer" && c.start >= seed.start)?.end ?? Number.NaN) - seed.start;
  if (sync) ph["(within) mirror fetch duration"] = sync.end - sync.start;
  if (trigger) ph["(within) whole trigger() call"] = trigger.end - trigger.start;
  return { total: start.atMs - t0, pushExit: pushExit - t0, phases: ph };
}

try {
  // Warm-up: the first trigger clones the mirror; not counted.
  const warm = await onePush(0);
  const samples: Sample[] = [];
  for (let i = 1; i <= PUSHES; i++) samples.push(await onePush(i));
  const totals = samples.map((s) => s.total);
  // Reference: the same container created and started directly through dockerode.
  const raw: number[] = [];
  for (let i = 0; i < 5; i++) {
    const started = nowMs();
    const c = await docker.createContainer({
      Image: "busybox:latest",
      Cmd: ["true"],
      Labels: { "io.slipway.bench": "1" },
    });
    await c.start();
    raw.push(nowMs() - started);
    await c.remove({ force: true });
  }
  console.log(`engine ${(await docker.version()).Version}, busybox builder, step \`sleep 1\`, ${PUSHES} pushes`);
  console.log(`warm-up push (mirror clone): ${warm.total.toFixed(0)} ms`);
  console.log(`per push, ms: ${totals.map((t) => t.toFixed(0)).join(" ")}`);
  console.log(
    `git push → step container started: median ${median(totals).toFixed(0)} ms, p90 ${percentile(totals, 90).toFixed(0)} ms, min ${Math.min(...totals).toFixed(0)}, max ${Math.max(...totals).toFixed(0)}  (goal: median < 1000 ms)`,
  );
  console.log(
    `git push process exit (after hook's curl returns): median ${median(samples.map((s) => s.pushExit)).toFixed(0)} ms`,
  );
  console.log(
    `reference: dockerode createContainer+start of busybox \`true\`, median of 5: ${median(raw).toFixed(0)} ms`,
  );
  console.log("breakdown, median ms over pushes (consecutive phases, then (within) details):");
  for (const label of Object.keys(samples[0]?.phases ?? {})) {
    const values = samples.map((s) => s.phases[label]).filter((v): v is number => v !== undefined && !Number.isNaN(v));
    console.log(
      `  ${label.padEnd(46)} ${median(values).toFixed(1).padStart(7)}   (p90 ${percentile(values, 90).toFixed(1)})`,
    );
  }
} finally {
  starts.close();
  await daemon.stop();
  origin.cleanup();
}
