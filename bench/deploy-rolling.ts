/**
 * Rolling upgrades on the deploy fixture (test/fixtures/deploy: a 3-replica busybox-httpd app
 * behind HAProxy, a database beside it; parallelism 1, delay 1s, start-first, monitor 2s,
 * drain 1s), under the integration tests' load generator (2 loops on 127.0.0.1, no pause, in a
 * process of its own at nice 19: it stands for the users' clients, which do not run on the
 * deploy host; at normal priority it took CPU from the compose processes the executor starts,
 * about 0.4 s of the upgrade on a quiet 2-core machine):
 *  1. requests failed while Slipway upgrades v1 → v2, against plain `docker compose up -d`
 *     (the same stack, the same upgrade) doing it;
 *  2. Slipway's upgrade duration against the floor ceil(R/parallelism) × (start + healthy +
 *     monitor) + delays, with start + healthy measured on a plain container of the same image
 *     and healthcheck (median of 3, right before each round);
 *  3. rollback: from the failed health check's verdict (the executor's decision) to the old
 *     version serving every replica again.
 *
 *   node bin/run-ts.js bench/deploy-rolling.ts [rounds]
 */
import { execFileSync, spawnSync } from "node:child_process";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { detectCompose } from "../compose/index.js";
import { deployVersion } from "../deploy/index.js";
import { appImage, sample, startLoad, TestEnvironment } from "../test/integration/deploy/helpers.js";
import { median } from "./lib.js";

const ROUNDS = Number(process.argv[2] ?? 3);
const REPLICAS = 3;
const PARALLELISM = 1;
const DELAY_S = 1;
const MONITOR_S = 2;

const [v1, v2, bad] = [await appImage("v1"), await appImage("v2"), await appImage("v3", false)];

/** A plain container with the fixture's healthcheck: from `docker run` to `healthy`. */
async function startToHealthy(): Promise<number> {
  const started = performance.now();
  const id = execFileSync("docker", [
    "run",
    "-d",
    "--init",
    "--label",
    "io.slipway.bench=deploy-rolling",
    "--health-cmd",
    "wget -q -O /dev/null http://127.0.0.1:8080/health",
    "--health-interval",
    "500ms",
    "--health-timeout",
    "2s",
    "--health-retries",
    "2",
    v1,
  ])
    .toString()
    .trim();
  try {
    for (;;) {
      const status = execFileSync("docker", ["inspect", "-f", "{{.State.Health.Status}}", id]).toString().trim();
      if (status === "healthy") return performance.now() - started;
      await sleep(25);
    }
  } finally {
    spawnSync("docker", ["rm", "-f", id], { stdio: "ignore" });
  }
}

async function slipwayUpgrade(): Promise<{ ms: number; failed: number; ok: number }> {
  await using env = await TestEnvironment.create();
  await deployVersion(env.target("v1", v1), env.options());
  const url = await env.lbUrl();
  await waitServing(url, "v1");
  const load = await startLoad(url, { concurrency: 2, maxSeconds: 120 });
  const started = performance.now();
  await deployVersion(env.target("v2", v2), env.options());
  const ms = performance.now() - started;
  const report = await load.stop();
  if (!(await sample(url, 6)).every((v) => v === "v2")) throw new Error("v2 is not serving after the upgrade");
  return { ms, failed: report.failed, ok: report.ok };
}

async function plainComposeUpgrade(): Promise<{ ms: number; failed: number; ok: number }> {
  await using env = await TestEnvironment.create();
  const cli = await detectCompose();
  const [command, ...prefix] = cli.flavor === "v2" ? ["docker", "compose"] : ["docker-compose"];
  // Both versions through the plain tool, so the second `up -d` sees only the app's image change.
  const up = (image: string) => {
    const r = spawnSync(
      command as string,
      [...prefix, "-p", env.project, "-f", join(env.dir, "compose.yml"), "up", "-d"],
      {
        env: { ...process.env, IMAGE: image, LB_IMAGE: env.lb },
        encoding: "utf8",
      },
    );
    if (r.status !== 0) throw new Error(`compose up -d: ${r.stderr}`);
  };
  up(v1);
  const url = await env.lbUrl();
  await waitServing(url, "v1");
  const load = await startLoad(url, { concurrency: 2, maxSeconds: 120 });
  const started = performance.now();
  up(v2);
  if ((await env.lbUrl()) !== url) throw new Error("compose recreated the load balancer: not the same upgrade");
  await waitServing(url, "v2");
  const ms = performance.now() - started;
  const report = await load.stop();
  return { ms, failed: report.failed, ok: report.ok };
}

async function rollback(): Promise<{ ms: number; failed: number }> {
  await using env = await TestEnvironment.create();
  await deployVersion(env.target("v1", v1), env.options());
  const url = await env.lbUrl();
  await waitServing(url, "v1");
  let verdictAt = 0;
  const load = await startLoad(url, { concurrency: 2, maxSeconds: 120 });
  const opts = env.options({
    log: (line) => {
      if (!verdictAt && /new replicas failed/.test(line)) verdictAt = performance.now();
    },
  });
  await deployVersion(env.target("v3", bad), opts).then(
    () => {
      throw new Error("the unhealthy version deployed");
    },
    () => undefined,
  );
  const restored = performance.now();
  const report = await load.stop();
  if (!verdictAt) throw new Error("no failure verdict in the executor's log");
  if (!(await sample(url, 6)).every((v) => v === "v1")) throw new Error("v1 is not serving after the rollback");
  return { ms: restored - verdictAt, failed: report.failed };
}

async function waitServing(url: string, version: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const got = await sample(url, 3).catch(() => []);
    if (got.length === 3 && got.every((v) => v === version)) return;
    if (Date.now() > deadline) throw new Error(`never served ${version}: ${got.join(",")}`);
    await sleep(100);
  }
}

/**
 * The floor, measured right before each round: the machine's load changes between rounds
 * (and other work shares it), and a container's start + healthy moves with it.
 */
async function floorNow(): Promise<{ startHealthyMs: number; floorMs: number }> {
  const healthy: number[] = [];
  for (let i = 0; i < 3; i++) healthy.push(await startToHealthy());
  const startHealthyMs = median(healthy);
  const floorMs =
    Math.ceil(REPLICAS / PARALLELISM) * (startHealthyMs + MONITOR_S * 1000) +
    (REPLICAS / PARALLELISM - 1) * DELAY_S * 1000;
  return { startHealthyMs, floorMs };
}

const ratios: number[] = [];
for (let round = 1; round <= ROUNDS; round++) {
  const { startHealthyMs, floorMs } = await floorNow();
  console.log(
    `round ${round}: start + healthy (plain container, median of 3) ${startHealthyMs.toFixed(0)} ms; ` +
      `floor ceil(${REPLICAS}/${PARALLELISM}) × (start + healthy + ${MONITOR_S}s monitor) + ${REPLICAS / PARALLELISM - 1} × ${DELAY_S}s delay = ${(floorMs / 1000).toFixed(2)} s`,
  );
  const s = await slipwayUpgrade();
  ratios.push(s.ms / floorMs);
  console.log(
    `round ${round}: slipway rolling ${(s.ms / 1000).toFixed(2)} s (${(s.ms / floorMs).toFixed(2)}× floor), ` +
      `failed ${s.failed} of ${s.ok + s.failed} requests (${((s.ok + s.failed) / (s.ms / 1000)).toFixed(0)}/s)`,
  );
  const p = await plainComposeUpgrade();
  console.log(
    `round ${round}: plain compose up -d ${(p.ms / 1000).toFixed(2)} s until v2 answers, failed ${p.failed} of ${p.ok + p.failed} requests (${((p.ok + p.failed) / (p.ms / 1000)).toFixed(0)}/s: the load balancer holds requests while no replica is up)`,
  );
  const r = await rollback();
  console.log(
    `round ${round}: rollback, failure verdict → v1 on every replica ${(r.ms / 1000).toFixed(2)} s, failed ${r.failed} requests`,
  );
}
console.log(`upgrade duration / floor: median ${median(ratios).toFixed(2)}× over ${ROUNDS} rounds (goal ≤ 1.2×)`);
