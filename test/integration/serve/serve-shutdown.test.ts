import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DockerEngine, LABEL } from "../../../engine/index.js";
import { openStore, type RunRow, type StageRow } from "../../../store/index.js";
import { startCli, TEST_OWNER } from "../../helpers/cli.js";
import { createOrigin, eventually, startTestDaemon, type TestDaemon } from "../../helpers/serve.js";

/**
 * Cancel answers at once (the cleanup goes on behind it), and `slipway serve` shuts down
 * gracefully on SIGTERM: it stops claiming, lets running runs go on for `shutdown_grace`,
 * then cancels them with cleanup and records them interrupted, so `retry` replays them.
 */
const engine = new DockerEngine();
const TOKEN = "shutdown-test-token-0123456789";

const PIPELINE = [
  "name: shutdown",
  "builders:",
  "  box: { image: busybox:latest }",
  "stages:",
  "  - name: first",
  "    builder: box",
  '    commands: ["echo first done"]',
  "  - name: long",
  "    builder: box",
  '    commands: ["sh ./long.sh"]',
  "",
].join("\n");

async function api<T>(url: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: (await res.json()) as T };
}

describe("cancel answers at once", () => {
  let origin: ReturnType<typeof createOrigin>;
  let daemon: TestDaemon;
  beforeAll(async () => {
    // The step ignores SIGTERM, so its cleanup lasts the whole 10 s grace before SIGKILL.
    origin = createOrigin({ "slipway.yml": PIPELINE, "long.sh": "trap '' TERM\necho started\nsleep 120\n" });
    daemon = await startTestDaemon(["repositories:", "  - name: shutdown", `    url: ${origin.bare}`, ""].join("\n"));
  });
  afterAll(async () => {
    await daemon?.stop();
    origin?.cleanup();
  });

  it("POST /api/runs/:id/cancel answers before the run's cleanup is done", async () => {
    const { body } = await daemon.api<{ run: RunRow }>("POST", "/api/repos/shutdown/runs", { ref: "develop" });
    const id = body.run.id;
    await eventually(async () => {
      const log = await daemon.api<string>("GET", `/api/runs/${id}/logs/long`);
      return typeof log.body === "string" && log.body.includes("started") ? true : undefined;
    }, 60_000);
    const asked = Date.now();
    const cancel = await daemon.api<{ cancelled: boolean; run: RunRow }>("POST", `/api/runs/${id}/cancel`);
    const answeredMs = Date.now() - asked;
    expect(cancel.status).toBe(202);
    expect(cancel.body.cancelled).toBe(true);
    // The answer came while the step container was still being stopped.
    expect(cancel.body.run.status).toBe("running");
    const done = await daemon.waitForRun(id, 120_000);
    const cleanupMs = Date.now() - asked;
    expect(done.run.status).toBe("cancelled");
    expect(done.stages.find((s) => s.name === "long")?.status).toBe("cancelled");
    expect(cleanupMs).toBeGreaterThan(answeredMs);
    expect(cleanupMs).toBeGreaterThan(5_000);
    expect(await engine.listResources([`${LABEL.run}=${id}`])).toEqual([]);
  });
});

describe("slipway serve on SIGTERM (a real daemon process)", () => {
  let origin: ReturnType<typeof createOrigin>;
  beforeAll(() => {
    origin = createOrigin({ "slipway.yml": PIPELINE, "long.sh": "echo started\nsleep 120\n" });
  });
  afterAll(() => origin?.cleanup());

  /** Starts `slipway serve` as a child process; resolves with its URL once it listens. */
  async function serve(dataDir: string, grace: string, extraEnv: Record<string, string> = {}) {
    const config = join(dataDir, "..", `serve-${grace}.yml`);
    writeFileSync(
      config,
      [
        "concurrency: 1",
        `shutdown_grace: ${grace}`,
        "repositories:",
        "  - name: shutdown",
        `    url: ${origin.bare}`,
        "",
      ].join("\n"),
    );
    const cli = startCli(["serve", "--config", config], {
      SLIPWAY_DATA_DIR: dataDir,
      SLIPWAY_LISTEN: "127.0.0.1:0",
      SLIPWAY_API_TOKEN: TOKEN,
      SLIPWAY_RUNNER_ID: `${TEST_OWNER}-shutdown`,
      ...extraEnv,
    });
    await cli.waitFor(/listening on (http:\/\/\S+),/);
    const url = /listening on (http:\/\/\S+),/.exec(cli.output())?.[1] ?? "";
    return { cli, url };
  }

  async function storeState(dataDir: string, id: string): Promise<{ run?: RunRow; stages: StageRow[] }> {
    const store = await openStore(undefined, { dataDir });
    try {
      return { run: await store.getRun(id), stages: await store.listStages(id) };
    } finally {
      await store.close();
    }
  }

  const dataRoot = () => join(origin.bare, "..");

  it("cancels what outlives the grace, cleans up, records it interrupted; retry replays the cut stage", async () => {
    const dataDir = join(dataRoot(), "data-grace-expires");
    const { cli, url } = await serve(dataDir, "3s");
    const { body } = await api<{ run: RunRow }>(url, "POST", "/api/repos/shutdown/runs", { ref: "develop" });
    const id = body.run.id;
    await eventually(async () => {
      const res = await fetch(`${url}/api/runs/${id}/logs/long`);
      return (await res.text()).includes("started") ? true : undefined;
    }, 60_000);
    expect((await engine.listResources([`${LABEL.run}=${id}`])).some((r) => r.kind === "container")).toBe(true);
    const signalled = Date.now();
    cli.child.kill("SIGTERM");
    const result = await cli.done;
    const seconds = (Date.now() - signalled) / 1000;
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain("shutdown: letting 1 running run(s) go on for up to 3s");
    expect(result.stdout).toContain("shutdown: cancelling 1 run(s) (the shutdown grace of 3s expired)");
    expect(seconds).toBeGreaterThanOrEqual(3);
    expect(seconds).toBeLessThan(60);
    const state = await storeState(dataDir, id);
    expect(state.run?.status).toBe("failed");
    expect(state.run?.error).toMatch(/^interrupted: the runner was stopped \(the shutdown grace of 3s expired\)/);
    expect(state.run?.error).toContain("stage long was cut");
    expect(state.stages.map((s) => [s.name, s.status])).toEqual([
      ["first", "success"],
      ["long", "cancelled"],
    ]);
    expect(await engine.listResources([`${LABEL.run}=${id}`])).toEqual([]);

    // A restarted daemon replays the interrupted run from the stage that was cut.
    const again = await serve(dataDir, "1s");
    try {
      const retry = await api<{ run: RunRow; fromStage: string | null }>(again.url, "POST", `/api/runs/${id}/retry`, {
        fromStage: "failed",
      });
      expect(retry.status).toBe(201);
      expect(retry.body.fromStage).toBe("long");
      const retryId = retry.body.run.id;
      await eventually(async () => {
        const res = await fetch(`${again.url}/api/runs/${retryId}/logs/long`);
        return (await res.text()).includes("started") ? true : undefined;
      }, 60_000);
      const detail = await api<{ stages: StageRow[] }>(again.url, "GET", `/api/runs/${retryId}`);
      expect(detail.body.stages.find((s) => s.name === "first")?.status).toBe("skipped");
      await api(again.url, "POST", `/api/runs/${retryId}/cancel`);
    } finally {
      again.cli.child.kill("SIGTERM");
      await again.cli.done;
    }
  });

  it("lets a run that finishes within the grace succeed, and claims no queued run meanwhile", async () => {
    writeFileSync(join(origin.work, "long.sh"), "echo started\nsleep 4\necho finished\n");
    const { git } = await import("../../helpers/fixture-repo.js");
    git(origin.work, "commit", "-qam", "shorter");
    git(origin.work, "push", "-q", "origin", "develop");
    const dataDir = join(dataRoot(), "data-grace-enough");
    const { cli, url } = await serve(dataDir, "60s");
    const first = (await api<{ run: RunRow }>(url, "POST", "/api/repos/shutdown/runs", { ref: "develop" })).body.run;
    const second = (await api<{ run: RunRow }>(url, "POST", "/api/repos/shutdown/runs", { ref: "develop" })).body.run;
    await eventually(async () => {
      const res = await fetch(`${url}/api/runs/${first.id}/logs/long`);
      return (await res.text()).includes("started") ? true : undefined;
    }, 60_000);
    cli.child.kill("SIGTERM");
    const result = await cli.done;
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).not.toContain("shutdown: cancelling");
    const done = await storeState(dataDir, first.id);
    expect(done.run?.status).toBe("success");
    expect(done.stages.map((s) => [s.name, s.status])).toEqual([
      ["first", "success"],
      ["long", "success"],
    ]);
    // The queued run was not claimed during the drain: another runner (or the next start) takes it.
    expect((await storeState(dataDir, second.id)).run?.status).toBe("queued");
    expect(await engine.listResources([`${LABEL.run}=${first.id}`])).toEqual([]);
  });
});
