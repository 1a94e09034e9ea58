/**
 * Per-step overhead of Slipway over the Docker calls it makes: 20 stages of `true` in a
 * busybox builder through `runLocal`, against 20 `docker run --rm busybox true`. Also the
 * wall time of `slipway run` (the CLI, process start included) on a one-stage pipeline.
 *
 *   node bin/run-ts.js bench/step-overhead.ts
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DockerEngine } from "../engine/index.js";
import { runLocal } from "../runner/local-run.js";
import { makeRepo, median, timeCommand } from "./lib.js";

const STEPS = 20;
const stages = Array.from(
  { length: STEPS },
  (_, i) => `  - name: s${i}\n    builder: box\n    commands: ["true"]\n`,
).join("");
const repo = makeRepo({
  "slipway.yml": `name: bench\nbuilders:\n  box: { image: busybox:latest }\nstages:\n${stages}`,
});
const trivial = makeRepo({
  "slipway.yml":
    'name: trivial\nbuilders:\n  box: { image: busybox:latest }\nstages:\n  - name: hello\n    builder: box\n    commands: ["echo hello"]\n',
});
const dataDir = mkdtempSync(join(tmpdir(), "slipway-bench-data-"));

try {
  const engine = new DockerEngine();
  // Warm-up: first container start on a fresh daemon is slower for both.
  timeCommand("docker", ["run", "--rm", "busybox:latest", "true"]);

  const raw: number[] = [];
  for (let i = 0; i < STEPS; i++) raw.push(timeCommand("docker", ["run", "--rm", "busybox:latest", "true"]));

  const started = performance.now();
  const result = await runLocal({ engine, repo, dataDir, owner: "slipway-bench", log: () => {} });
  const wall = performance.now() - started;
  if (!result.ok) throw new Error(`bench pipeline failed: ${JSON.stringify(result.stages)}`);
  const slipway = result.stages.map((s) => s.durationMs);

  const cliRuns: number[] = [];
  for (let i = 0; i < 5; i++) {
    cliRuns.push(
      timeCommand("env", [
        `SLIPWAY_DATA_DIR=${dataDir}`,
        "SLIPWAY_RUNNER_ID=slipway-bench",
        process.execPath,
        join(import.meta.dirname, "..", "bin", "slipway.js"),
        "run",
        "--repo",
        trivial,
      ]),
    );
  }
  const rawDockerVersion = execFileSync("docker", ["version", "--format", "{{.Server.Version}}"]).toString().trim();

  console.log(`engine ${rawDockerVersion}, ${STEPS} steps of \`true\` in busybox`);
  console.log(`docker run --rm (CLI), median per step: ${median(raw).toFixed(0)} ms`);
  console.log(`slipway stage, median per step:         ${median(slipway).toFixed(0)} ms`);
  console.log(`ratio slipway/docker-run (median):      ${(median(slipway) / median(raw)).toFixed(2)}x  (goal <= 1.3x)`);
  console.log(
    `whole 20-stage run through runLocal:    ${(wall / 1000).toFixed(2)} s (sum of raw docker runs ${(raw.reduce((a, b) => a + b, 0) / 1000).toFixed(2)} s)`,
  );
  console.log(
    `\`slipway run\` CLI, 1-stage pipeline, median of 5 wall times: ${(median(cliRuns) / 1000).toFixed(2)} s`,
  );
} finally {
  for (const dir of [repo, trivial, dataDir]) rmSync(dir, { recursive: true, force: true });
}
