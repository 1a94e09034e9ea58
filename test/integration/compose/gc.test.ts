import { type ChildProcess, execFile, spawn } from "node:child_process";
import { readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { EphemeralStack, stackProjectName, waitForServices } from "../../../compose/index.js";
import { collectGarbage, DockerEngine, LABEL } from "../../../engine/index.js";
import { newRunId, OWNER, projectResources, runResources, stackDir } from "./helpers.js";

const run = promisify(execFile);
const engine = new DockerEngine();
const runId = newRunId("gc");
const unrelated = `unrelated-${runId}`;
const slow = stackDir("slow");
let child: ChildProcess | undefined;

afterAll(async () => {
  child?.kill("SIGKILL");
  await run("docker-compose", ["-p", unrelated, "-f", join(slow, "docker-compose.yml"), "down", "-v", "-t", "1"]).catch(
    () => {},
  );
  for (const r of await runResources(engine, runId)) await engine.removeResource(r).catch(() => {});
  // A killed runner cannot remove its stack's temp dir (gc only handles engine resources).
  const doomed = stackProjectName(runId, "doomed", 0);
  for (const name of await readdir(tmpdir())) {
    if (name.startsWith(`${doomed}-`)) await rm(join(tmpdir(), name), { recursive: true, force: true });
  }
});

/** Starts the child and resolves with its stack's project once it printed READY. */
function startChild(): Promise<string> {
  const proc = spawn(
    process.execPath,
    ["--import", "tsx", join(import.meta.dirname, "stack-child.ts"), runId, OWNER, slow],
    {
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  child = proc;
  let out = "";
  let err = "";
  return new Promise((resolve, reject) => {
    proc.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const ready = /READY (\S+)/.exec(out);
      if (ready?.[1]) resolve(ready[1]);
    });
    proc.stderr?.on("data", (chunk: Buffer) => {
      err += chunk.toString();
    });
    proc.on("exit", (code) => reject(new Error(`child exited ${code} before READY: ${err}`)));
  });
}

describe("gc after kill -9 of a runner mid-stage", () => {
  it("removes the dead run's stack, keeps a live stack and an unlabelled compose project", async () => {
    const doomed = await startChild();
    // A stack of a live process (this one), same run id so gc has to tell them apart by liveness.
    await using live = await EphemeralStack.create({
      engine,
      file: join(slow, "docker-compose.yml"),
      project: stackProjectName(runId, "live", 0),
      owner: OWNER,
      runId,
      stage: "live",
      env: {},
      log: () => {},
    });
    await live.up();
    await waitForServices({
      engine,
      project: live.project,
      services: ["svc", "tests"],
      timeoutSeconds: 30,
      logsOf: async () => [],
    });
    // A compose project brought up without Slipway: gc must never touch it.
    await run("docker-compose", ["-p", unrelated, "-f", join(slow, "docker-compose.yml"), "up", "-d", "svc"]);

    const before = await projectResources(engine, doomed);
    expect(before.filter((r) => r.kind === "container").length).toBe(2);
    expect(before.some((r) => r.kind === "network")).toBe(true);
    expect(before.some((r) => r.kind === "volume")).toBe(true);
    expect(before.every((r) => r.labels[LABEL.pid] === String(child?.pid))).toBe(true);

    const exited = new Promise((resolve) => child?.on("exit", resolve));
    child?.kill("SIGKILL");
    await exited;

    // Scoped to this test's run: other suites may share the engine with live resources of their own.
    const report = await collectGarbage(engine, { runId });
    expect(report.removed.map((r) => r.labels["com.docker.compose.project"])).toEqual(expect.arrayContaining([doomed]));
    expect(report.removed.every((r) => r.labels[LABEL.pid] === String(child?.pid))).toBe(true);
    expect(await projectResources(engine, doomed)).toEqual([]);
    const remaining = await runResources(engine, runId);
    expect(remaining.length).toBeGreaterThan(0);
    expect(remaining.every((r) => r.labels[LABEL.pid] === String(process.pid))).toBe(true);
    expect((await projectResources(engine, live.project)).filter((r) => r.kind === "container")).toHaveLength(2);
    const others = await projectResources(engine, unrelated);
    expect(others.filter((r) => r.kind === "container")).toHaveLength(1);
    expect(others.every((r) => r.labels[LABEL.owner] === undefined)).toBe(true);
  });

  it("left nothing of the run behind once the live stack is down", async () => {
    expect(await runResources(engine, runId)).toEqual([]);
  });
});
