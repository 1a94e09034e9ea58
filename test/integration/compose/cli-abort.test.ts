import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ComposeTarget, detectCompose, runCompose } from "../../../compose/index.js";
import { DockerEngine } from "../../../engine/index.js";
import { projectResources } from "./helpers.js";

const engine = new DockerEngine();
let dir: string;
let target: ComposeTarget;

/** Pids of processes whose command line names the project (compose and its children). */
function composeProcesses(project: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, "utf8").includes(project)) pids.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return pids;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "slipway-compose-abort-"));
  writeFileSync(join(dir, "docker-compose.yml"), "services:\n  slow:\n    image: busybox:latest\n    init: true\n");
  target = {
    project: `slipway-abort-${process.pid}-${Date.now().toString(36)}`,
    files: [join(dir, "docker-compose.yml")],
    projectDirectory: dir,
  };
});
afterAll(async () => {
  const cli = await detectCompose();
  await runCompose(cli, target, { kind: "down", stopTimeoutSeconds: 1 });
  for (const r of await projectResources(engine, target.project)) await engine.removeResource(r).catch(() => {});
  rmSync(dir, { recursive: true, force: true });
});

describe("runCompose with an AbortSignal", () => {
  it("kills the compose process of an aborted `run` instead of waiting for it", async () => {
    const cli = await detectCompose();
    const controller = new AbortController();
    const lines: string[] = [];
    const running = runCompose(
      cli,
      target,
      { kind: "run", service: "slow", command: ["sh", "-c", "echo started; sleep 300"], env: {}, volumes: [] },
      { signal: controller.signal, onLine: (l) => lines.push(l) },
    );
    for (let i = 0; i < 100 && !lines.includes("started"); i++) await new Promise((r) => setTimeout(r, 100));
    expect(lines).toContain("started");
    expect(composeProcesses(target.project).length).toBeGreaterThan(0);
    const abortedAt = Date.now();
    controller.abort();
    const result = await running;
    // SIGTERM first, SIGKILL 5 s later at the latest: never the 300 s of the command.
    expect((Date.now() - abortedAt) / 1000).toBeLessThan(10);
    expect(result.exitCode).not.toBe(0);
    expect(composeProcesses(target.project)).toEqual([]);
  });
});
