import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DockerEngine, LABEL } from "../../../engine/index.js";
import type { RunRow } from "../../../store/index.js";
import { git } from "../../helpers/fixture-repo.js";
import { createOrigin, eventually, startTestDaemon, type TestDaemon } from "../../helpers/serve.js";

const engine = new DockerEngine();

const PIPELINE = [
  "name: queue",
  "builders:",
  "  box: { image: busybox:latest }",
  "stages:",
  "  - name: make",
  "    builder: box",
  '    commands: ["mkdir -p out", "cat content.txt > out/artifact", "echo \\"made $(cat out/artifact)\\""]',
  "    artifacts: [out]",
  "  - name: check",
  "    builder: box",
  '    commands: ["echo \\"artifact: $(cat out/artifact) version: $SLIPWAY_VERSION\\"", "sh ./check.sh"]',
  "",
].join("\n");

describe("slipway serve: queue, cancel, retry, timeouts", () => {
  let origin: ReturnType<typeof createOrigin>;
  let daemon: TestDaemon;

  const trigger = async (ref = "develop") => {
    const res = await daemon.api<{ run: RunRow }>("POST", "/api/repos/queue/runs", { ref });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body.run;
  };
  const status = async (id: string) => (await daemon.api<{ run: RunRow }>("GET", `/api/runs/${id}`)).body.run.status;
  const log = async (id: string, stage: string) =>
    (await daemon.api<string>("GET", `/api/runs/${id}/logs/${stage}`)).body;
  const setCheck = (script: string, message: string) => {
    writeFileSync(join(origin.work, "check.sh"), script);
    git(origin.work, "add", "-A");
    git(origin.work, "commit", "-qm", message);
    git(origin.work, "push", "-q", "origin", "develop");
  };

  beforeAll(async () => {
    origin = createOrigin({ "slipway.yml": PIPELINE, "content.txt": "first\n", "check.sh": "exit 0\n" });
    daemon = await startTestDaemon(
      ["concurrency: 1", "repositories:", "  - name: queue", `    url: ${origin.bare}`, ""].join("\n"),
    );
  });
  afterAll(async () => {
    await daemon?.stop();
    origin?.cleanup();
  });

  it("runs one at a time under concurrency 1, and cancels a running and a queued run", async () => {
    setCheck("echo started; sleep 60\n", "slow check");
    const first = await trigger();
    const second = await trigger();
    await eventually(
      async () => ((await log(first.id, "check")).includes("started") ? true : undefined),
      60_000,
      "first run's check stage",
    );
    expect(await status(first.id)).toBe("running");
    expect(await status(second.id)).toBe("queued");
    const containers = await engine.listResources([`${LABEL.run}=${first.id}`]);
    expect(containers.some((r) => r.kind === "container")).toBe(true);

    const cancelQueued = await daemon.api("POST", `/api/runs/${second.id}/cancel`);
    expect(cancelQueued.status).toBe(202);
    expect(await status(second.id)).toBe("cancelled");

    const cancelRunning = await daemon.api("POST", `/api/runs/${first.id}/cancel`);
    expect(cancelRunning.status).toBe(202);
    const done = await daemon.waitForRun(first.id);
    expect(done.run.status).toBe("cancelled");
    expect(done.stages.find((s) => s.name === "check")?.status).toBe("cancelled");
    expect(await engine.listResources([`${LABEL.run}=${first.id}`])).toEqual([]);
    // The cancelled queued run never started a stage.
    expect((await daemon.waitForRun(second.id)).stages).toEqual([]);
    // Cancelling a finished run is a conflict, not a silent success.
    expect((await daemon.api("POST", `/api/runs/${first.id}/cancel`)).status).toBe(409);
  });

  it("retries a failed run from its failed stage with the run's own sha, snapshot, artifacts and version", async () => {
    setCheck("echo failing on purpose; exit 3\n", "failing check");
    const failed = await trigger();
    const original = await daemon.waitForRun(failed.id);
    expect(original.run.status).toBe("failed");
    expect(original.stages.map((s) => [s.name, s.status])).toEqual([
      ["make", "success"],
      ["check", "failed"],
    ]);
    // The branch moves on (new content, new pipeline): the retry must not see any of it.
    writeFileSync(join(origin.work, "content.txt"), "second\n");
    writeFileSync(join(origin.work, "slipway.yml"), PIPELINE.replace("name: queue", "name: queue-renamed"));
    setCheck("exit 0\n", "fixed, and moved on");

    const res = await daemon.api<{ run: RunRow; fromStage: string }>("POST", `/api/runs/${failed.id}/retry`, {
      fromStage: "failed",
    });
    expect(res.status).toBe(201);
    expect(res.body.fromStage).toBe("check");
    expect(res.body.run.trigger).toBe("retry");
    expect(res.body.run.retryOf).toBe(failed.id);
    expect(res.body.run.sha).toBe(failed.sha);
    const retried = await daemon.waitForRun(res.body.run.id);
    expect(retried.run.status).toBe("failed");
    expect(retried.stages.map((s) => [s.name, s.status])).toEqual([
      ["make", "skipped"],
      ["check", "failed"],
    ]);
    expect(retried.run.pipelineSnapshot).toBe(original.run.pipelineSnapshot);
    const checkLog = await log(retried.run.id, "check");
    // The artifact of the original's `make` was restored, and the version is the original's.
    expect(checkLog).toContain(`artifact: first version: ${original.run.version}`);
    expect(checkLog).toContain("failing on purpose");

    const whole = await daemon.api<{ run: RunRow }>("POST", `/api/runs/${failed.id}/retry`, {});
    const rerun = await daemon.waitForRun(whole.body.run.id);
    expect(rerun.stages.map((s) => s.status)).toEqual(["success", "failed"]);
    expect(rerun.run.version).not.toBe(original.run.version);
    expect((await daemon.api("POST", `/api/runs/${failed.id}/retry`, { fromStage: "nope" })).status).toBe(400);
  });

  it("fails a stage at its timeout and removes its container", async () => {
    writeFileSync(join(origin.work, "slipway.yml"), `${PIPELINE}    timeout: 2s\n`);
    setCheck("echo waiting; sleep 60\n", "slow again");
    const run = await trigger();
    const done = await daemon.waitForRun(run.id);
    expect(done.run.status).toBe("failed");
    const check = done.stages.find((s) => s.name === "check");
    expect(check?.status).toBe("failed");
    expect(check?.detail).toBe("timed out after 2s");
    expect(done.run.error).toMatch(/stage check failed: timed out after 2s/);
    expect(await engine.listResources([`${LABEL.run}=${run.id}`])).toEqual([]);
  });
});
