import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { loadConfig } from "../../config/index.js";
import type { RunRow, StageRow } from "../../store/index.js";
import type { CliIo } from "../cli-io.js";
import { RunnerError } from "../errors.js";
import { startDaemon } from "../serve/daemon.js";
import { writeState } from "./down.js";
import { startDemoRegistry } from "./registry.js";
import { createSampleRepo, DEMO } from "./sample-repo.js";

export interface RunResult {
  run: RunRow;
  stages: StageRow[];
}

function seconds(ms: number | null): string {
  return ms === null ? "-" : `${(ms / 1000).toFixed(1)}s`;
}

/** One run's block of the summary: its stages with status, duration and detail (pushed tags, deployment). */
export function summarize(r: RunResult): string[] {
  const lines = [`run #${r.run.number} ${r.run.ref} (${r.run.version ?? "?"}): ${r.run.status}`];
  for (const s of r.stages) {
    lines.push(`  ${s.name.padEnd(20)} ${s.status.padEnd(9)} ${seconds(s.durationMs).padStart(7)}  ${s.detail ?? ""}`);
  }
  return lines;
}

/**
 * `slipway demo`: a sample repository, a registry (when installed), the daemon in process on
 * SQLite under `root`, a run of `develop`, then of the `v1.0` tag. Returns the exit code.
 */
export async function runDemo(root: string, keepRunning: boolean, io: CliIo): Promise<number> {
  const started = Date.now();
  mkdirSync(root, { recursive: true });
  const registry = await startDemoRegistry(join(root, "registry"));
  writeState(root, { registryPid: registry?.pid });
  if (registry) io.out(`registry: docker-registry on ${registry.host}`);
  else io.out("registry: docker-registry is not installed: no push stage, the image stays local");
  const repo = createSampleRepo(join(root, "repo"), registry?.host);
  io.out(`sample repository: ${repo.bare} (work clone ${repo.work})`);
  const token = `slw_demo_${randomBytes(16).toString("hex")}`;
  const configFile = join(root, "slipway.config.yml");
  writeFileSync(configFile, `repositories:\n  - name: ${DEMO.repository}\n    url: ${repo.bare}\n`);
  const config = loadConfig({
    file: configFile,
    cwd: root,
    env: {
      SLIPWAY_LISTEN: "127.0.0.1:0",
      SLIPWAY_DATA_DIR: join(root, "data"),
      SLIPWAY_RUNNER_ID: DEMO.runnerId,
      SLIPWAY_API_TOKEN: token,
    },
  });
  const daemon = await startDaemon(config, { log: (line) => io.out(`  [daemon] ${line}`) });
  writeState(root, { registryPid: registry?.pid, url: daemon.url });
  io.out(`dashboard: ${daemon.url}/`);
  const api = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${daemon.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { "content-type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    if (!res.ok) throw new RunnerError("SLIPWAY_E_DEMO", `${method} ${path}: HTTP ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };
  const runRef = async (ref: string, sha: string): Promise<RunResult> => {
    const { run } = await api<{ run: RunRow }>("POST", `/api/repos/${DEMO.repository}/runs`, { ref });
    io.out(`run #${run.number} of ${ref} (${sha.slice(0, 12)}) queued: ${daemon.url}/runs/${run.id}`);
    for (;;) {
      const got = await api<RunResult>("GET", `/api/runs/${run.id}`);
      if (!["queued", "running"].includes(got.run.status)) return got;
      await sleep(500);
    }
  };
  let results: RunResult[] = [];
  try {
    const develop = await runRef("develop", repo.developSha());
    results = [develop];
    if (develop.run.status === "success") results.push(await runRef("v1.0", repo.tag("v1.0")));
  } finally {
    io.out("");
    io.out("summary:");
    for (const r of results) for (const line of summarize(r)) io.out(line);
    io.out(`dashboard: ${daemon.url}/  demo wall time: ${((Date.now() - started) / 1000).toFixed(1)}s`);
    if (keepRunning) {
      io.out("the daemon keeps running: Ctrl-C stops it; `slipway demo --down` removes everything");
      await new Promise<void>((resolve) => {
        process.once("SIGINT", () => resolve());
        process.once("SIGTERM", () => resolve());
      });
    }
    await daemon.close();
    await registry?.stop();
    io.out(`stopped; the demo's files stay in ${root} until \`slipway demo --down\``);
  }
  const ok = results.length === 2 && results.every((r) => r.run.status === "success");
  return ok ? 0 : 1;
}
