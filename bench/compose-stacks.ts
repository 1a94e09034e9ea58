/**
 * Integration-stage benchmark on the fixture app + MariaDB stack (test/fixtures/compose):
 *  1. one stack through Slipway vs the raw sequence it wraps: `docker-compose up -d`, wait for
 *     health (a `docker inspect` loop, as a shell script would), `run --rm tests`, `down -v`;
 *  2. N = 1, 2, 4 stacks in parallel (`parallel: N`) vs the same N one after another.
 *
 *   node bin/run-ts.js bench/compose-stacks.ts
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { runIntegrationStage } from "../compose/index.js";
import { collectGarbage, DockerEngine } from "../engine/index.js";
import { composeStage, fixtureImage, stackDir, workspaceVolume } from "../test/integration/compose/helpers.js";

const engine = new DockerEngine();
const images = { app: await fixtureImage(engine, "app"), db: await fixtureImage(engine, "db") };
const env = { ...process.env, IMAGE: images.app, DB_IMAGE: images.db };
const dir = stackDir("users");
const artifacts = mkdtempSync(join(tmpdir(), "slipway-bench-compose-"));
const stage = (parallel: number) =>
  composeStage({ file: "docker-compose.yml", parallel, run: { service: "tests", command: ["node", "/app/test.js"] } });

function compose(project: string, ...args: string[]) {
  const r = spawnSync("docker-compose", ["-p", project, "-f", join(dir, "docker-compose.yml"), ...args], {
    env,
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`docker-compose ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

async function rawSequence(project: string): Promise<number> {
  const started = performance.now();
  compose(project, "up", "-d", "db", "app");
  const db = compose(project, "ps", "-q", "db").trim();
  while (execFileSync("docker", ["inspect", "-f", "{{.State.Health.Status}}", db]).toString().trim() !== "healthy") {
    await sleep(200);
  }
  compose(project, "run", "--rm", "-T", "tests");
  compose(project, "down", "-v", "--remove-orphans", "-t", "1");
  return performance.now() - started;
}

let counter = 0;
async function slipwayStage(parallel: number): Promise<number> {
  const runId = `bench-${process.pid}-${counter++}`;
  const workspace = await workspaceVolume(engine, runId);
  const started = performance.now();
  const result = await runIntegrationStage({
    engine,
    runId,
    owner: "slipway-bench",
    stage: stage(parallel),
    workspaceDir: dir,
    workspace,
    env: { IMAGE: images.app, DB_IMAGE: images.db },
    resolveBuilderImage: async () => images.app,
    artifactsDir: join(artifacts, runId),
    log: () => {},
  });
  const elapsed = performance.now() - started;
  await collectGarbage(engine, { runId, isAlive: () => false });
  if (!result.ok) throw new Error(`stage failed: ${result.error}`);
  return elapsed;
}

try {
  await slipwayStage(1); // warm-up: compose detection, page cache
  const raw: number[] = [];
  const slip: number[] = [];
  for (let i = 0; i < 3; i++) {
    raw.push(await rawSequence(`slipway-bench-raw-${process.pid}-${i}`));
    slip.push(await slipwayStage(1));
  }
  const med = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)] ?? 0;
  console.log(
    `one stack, median of 3: raw docker-compose ${(med(raw) / 1000).toFixed(2)} s, slipway ${(med(slip) / 1000).toFixed(2)} s, ratio ${(med(slip) / med(raw)).toFixed(2)}x (goal <= 1.2x)`,
  );
  for (const n of [1, 2, 4]) {
    const parallel = await slipwayStage(n);
    let sequential = 0;
    for (let i = 0; i < n; i++) sequential += await slipwayStage(1);
    console.log(
      `N=${n}: parallel ${(parallel / 1000).toFixed(2)} s, sequential ${(sequential / 1000).toFixed(2)} s, sequential/parallel ${(sequential / parallel).toFixed(2)}x`,
    );
  }
} finally {
  rmSync(artifacts, { recursive: true, force: true });
}
