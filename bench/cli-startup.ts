/**
 * Start-up cost of the compiled CLI and of the self-hosted image (figures, no pass/fail):
 * - `slipway --help` and `slipway runs` (against a running `slipway serve`) wall time,
 *   against `node -e 0` (goal < 150 ms);
 * - a one-stage `slipway run` against the `docker run --rm` it wraps (goal <= 1.5x), and the
 *   same engine work typed by hand with the docker CLI (volume, copy, step, removal);
 * - the image's size, and `docker run` to `/healthz` answering (skipped with a note when the
 *   image is missing: build it with `npm run image`; `--no-image` skips it when it is there).
 *
 *   npm run build && [BENCH_ROUNDS=15] npm run bench -- bench/cli-startup.ts [IMAGE | --no-image]
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeRepo, median, timeCommand } from "./lib.js";

const BIN = join(import.meta.dirname, "..", "bin", "slipway.js");
// Rounds of each measurement; the run comparison interleaves its rounds. BENCH_ROUNDS raises
// it on a noisy machine (where `docker run` alone moves by ±10% between rounds).
const N = Number(process.env.BENCH_ROUNDS ?? 15);
const dataDir = mkdtempSync(join(tmpdir(), "slipway-bench-cli-"));
const env = { ...process.env, SLIPWAY_DATA_DIR: join(dataDir, "data"), SLIPWAY_RUNNER_ID: "slipway-bench" };

function times(n: number, cmd: string, args: string[], extraEnv: Record<string, string> = {}): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++)
    out.push(
      timeCommand("env", [...Object.entries({ ...env, ...extraEnv }).map(([k, v]) => `${k}=${v}`), cmd, ...args]),
    );
  return out;
}
const fmt = (values: number[]) => `median ${median(values).toFixed(0)} ms, min ${Math.min(...values).toFixed(0)} ms`;

/** Starts `slipway serve` on a free loopback port; resolves with its URL and a stop function. */
function serve(): Promise<{ url: string; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [BIN, "serve"], {
    env: { ...env, SLIPWAY_LISTEN: "127.0.0.1:0", SLIPWAY_CONFIG: join(dataDir, "empty.yml") },
    stdio: ["ignore", "pipe", "pipe"],
  });
  writeFileSync(join(dataDir, "empty.yml"), "repositories: []\n");
  let output = "";
  return new Promise((resolve, reject) => {
    const onData = (c: Buffer) => {
      output += c.toString();
      const m = /listening on (http:\/\/\S+),/.exec(output);
      if (m?.[1])
        resolve({
          url: m[1],
          stop: () =>
            new Promise((done) => {
              child.once("close", () => done());
              child.kill("SIGTERM");
            }),
        });
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("close", (code) => reject(new Error(`serve exited ${code}:\n${output}`)));
  });
}

const trivial = makeRepo({
  "slipway.yml":
    'name: trivial\nbuilders:\n  box: { image: busybox:latest }\nstages:\n  - name: hello\n    builder: box\n    commands: ["echo hello"]\n',
});

try {
  times(2, process.execPath, [BIN, "--help"]); // warm the file cache
  const nodeBare = times(N, process.execPath, ["-e", "0"]);
  const help = times(N, process.execPath, [BIN, "--help"]);
  const daemon = await serve();
  let runs: number[];
  try {
    runs = times(N, process.execPath, [BIN, "runs"], { SLIPWAY_URL: daemon.url });
  } finally {
    await daemon.stop();
  }
  console.log(`node -e 0 (the floor):            ${fmt(nodeBare)}`);
  console.log(`slipway --help:                   ${fmt(help)}  (goal < 150 ms)`);
  console.log(`slipway runs (against serve):     ${fmt(runs)}  (goal < 150 ms)`);

  const dockerRun = () => times(1, "docker", ["run", "--rm", "busybox:latest", "echo", "hello"]);
  const slipwayRun = () => times(1, process.execPath, [BIN, "run", "--repo", trivial]);
  // What the run asks of the engine, typed by hand: a workspace volume, the commit copied in
  // through a created container, the step under --init in /workspace, the volume removed.
  const byHand = [
    "set -e",
    "v=$(docker volume create)",
    "c=$(docker create -v $v:/workspace busybox:latest true)",
    `docker cp ${trivial}/slipway.yml $c:/workspace/`,
    "docker rm $c >/dev/null",
    "docker run --rm --init -v $v:/workspace -w /workspace busybox:latest sh -e -c 'echo hello'",
    "docker volume rm $v >/dev/null",
  ].join("\n");
  const sameCalls = () => times(1, "sh", ["-c", byHand]);
  dockerRun();
  slipwayRun();
  sameCalls();
  // Interleaved, so all sides see the same load on a shared machine.
  const raw: number[] = [];
  const run: number[] = [];
  const hand: number[] = [];
  for (let i = 0; i < N; i++) {
    raw.push(...dockerRun());
    run.push(...slipwayRun());
    hand.push(...sameCalls());
  }
  console.log(`docker run --rm busybox echo:     ${fmt(raw)}`);
  console.log(`slipway run, one-stage pipeline:  ${fmt(run)}`);
  console.log(`ratio (medians):                  ${(median(run) / median(raw)).toFixed(2)}x  (goal <= 1.5x)`);
  // Each round's pair ran back to back under the same load: the median of their ratios is
  // less moved by a slow stretch of the machine than the ratio of the two medians.
  const pairs = run.map((r, i) => r / (raw[i] ?? Number.NaN));
  console.log(`ratio (median of the ${N} pairs):     ${median(pairs).toFixed(2)}x`);
  console.log(`the same engine calls by hand:    ${fmt(hand)}  (docker CLI, one call after another)`);

  if (process.argv[2] === "--no-image") console.log("image figures skipped (--no-image)");
  else await imageFigures(process.argv[2] ?? "slipway");
} finally {
  rmSync(trivial, { recursive: true, force: true });
  rmSync(dataDir, { recursive: true, force: true });
}

async function imageFigures(image: string): Promise<void> {
  const { execFileSync } = await import("node:child_process");
  let size: number;
  try {
    size = Number(execFileSync("docker", ["image", "inspect", "--format", "{{.Size}}", image]).toString().trim());
  } catch {
    console.log(`image ${image}: not built (npm run image); no image figures`);
    return;
  }
  console.log(`image ${image} size:              ${(size / 1e6).toFixed(0)} MB`);
  const imageData = mkdtempSync(join(tmpdir(), "slipway-bench-image-"));
  const samples: number[] = [];
  // AbortSignal.timeout's timer is unref'd, and while the engine's port proxy holds a request
  // to a daemon that is not listening yet nothing else keeps the loop alive: without this the
  // bench exited silently here, mid-measurement.
  const keepAlive = setInterval(() => {}, 1_000);
  try {
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      const id = execFileSync("docker", [
        ...["run", "-d", "--rm", "-v", "/var/run/docker.sock:/var/run/docker.sock"],
        ...["-v", `${imageData}:${imageData}`, "-e", `SLIPWAY_DATA_DIR=${imageData}`, "-p", "127.0.0.1::8080", image],
      ])
        .toString()
        .trim();
      try {
        const port = execFileSync("docker", ["port", id, "8080/tcp"]).toString().split("\n")[0]?.split(":").pop();
        for (;;) {
          // A timeout per request: one that arrives while the daemon starts may go unanswered.
          const ok = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2_000) }).then(
            (r) => r.ok,
            () => false,
          );
          if (ok) break;
          if (performance.now() - started > 60_000) throw new Error("no /healthz within 60 s");
          await new Promise((r) => setTimeout(r, 20));
        }
        samples.push(performance.now() - started);
      } finally {
        execFileSync("docker", ["rm", "-f", "-v", id], { stdio: "ignore" });
      }
    }
  } finally {
    clearInterval(keepAlive);
    rmSync(imageData, { recursive: true, force: true });
  }
  console.log(`docker run -> /healthz 200:       ${fmt(samples)} (3 starts)`);
}
