import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunRow, StageRow } from "../../store/index.js";
import { git } from "../helpers/fixture-repo.js";
import { createOrigin, startTestDaemon, type TestDaemon } from "../helpers/serve.js";

const small = [
  "name: limits",
  "builders:",
  "  box: { image: busybox:latest }",
  "stages:",
  "  - name: build",
  "    builder: box",
  '    commands: ["echo small"]',
  "",
].join("\n");

describe("security: a 10 MB pipeline file (issue 7, probe 7)", () => {
  let origin: ReturnType<typeof createOrigin>;
  let daemon: TestDaemon;

  beforeAll(async () => {
    origin = createOrigin({ "slipway.yml": small });
    // feature/huge: a valid pipeline padded with a 10 MB comment.
    git(origin.work, "checkout", "-qb", "feature/huge");
    writeFileSync(join(origin.work, "slipway.yml"), `${small}# ${"x".repeat(10 * 1024 * 1024)}\n`);
    git(origin.work, "commit", "-qam", "huge pipeline");
    git(origin.work, "push", "-q", "origin", "feature/huge");
    daemon = await startTestDaemon(
      ["repositories:", "  - name: limits", `    url: ${origin.bare}`, "    poll: false", ""].join("\n"),
    );
  });
  afterAll(async () => {
    await daemon?.stop();
    origin?.cleanup();
  });

  it("is refused with SLIPWAY_E_PIPELINE_TOO_LARGE, never stored; the run list stays small; earlier runs and the daemon are untouched", async () => {
    const first = await daemon.api<{ run: RunRow }>("POST", "/api/repos/limits/runs", { ref: "develop" });
    const earlier = await daemon.waitForRun(first.body.run.id);
    expect(earlier.run.status).toBe("success");
    expect(earlier.run.pipelineSnapshot).toBe(small);

    const huge: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await daemon.api<{ run: RunRow }>("POST", "/api/repos/limits/runs", { ref: "feature/huge" });
      expect(res.status).toBe(201);
      const finished = await daemon.waitForRun(res.body.run.id);
      expect(finished.run.status).toBe("failed");
      expect(finished.run.error).toMatch(/invalid pipeline file/);
      expect(finished.run.pipelineSnapshot).toBeNull();
      const setup = await daemon.api<string>("GET", `/api/runs/${res.body.run.id}/logs/_setup`);
      expect(setup.body).toMatch(
        /slipway\.yml:1:1: error SLIPWAY_E_PIPELINE_TOO_LARGE: the pipeline file is \d+ bytes; the most is 1048576/,
      );
      huge.push(res.body.run.id);
    }

    const list = await fetch(`${daemon.url}/api/runs?limit=500`);
    const text = await list.text();
    // Six runs: a few KiB, not 50 MB; lists carry no snapshot (null), not even the small one.
    expect(text.length).toBeLessThan(16 * 1024);
    const page = JSON.parse(text) as { runs: Record<string, unknown>[] };
    expect(page.runs).toHaveLength(6);
    for (const run of page.runs) expect(run.pipelineSnapshot).toBeNull();

    // The detail still carries the snapshot of the earlier run, unchanged.
    const detail = await daemon.api<{ run: RunRow; stages: StageRow[] }>("GET", `/api/runs/${first.body.run.id}`);
    expect(detail.body.run).toEqual(earlier.run);
    expect((await daemon.api("GET", "/healthz")).status).toBe(200);
    // A retry of a refused run is refused the same way (its commit is still 10 MB).
    const retry = await daemon.api<{ run: RunRow }>("POST", `/api/runs/${huge[0]}/retry`, {});
    expect((await daemon.waitForRun(retry.body.run.id)).run.status).toBe("failed");
  });
});
