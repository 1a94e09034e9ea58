import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DockerEngine, LABEL } from "../../engine/index.js";
import { runCli, startCli, TEST_OWNER } from "../helpers/cli.js";
import { docker, imageLabels, runOnce } from "../helpers/docker.js";
import { createFixtureRepo, type FixtureRepo, git } from "../helpers/fixture-repo.js";

const engine = new DockerEngine();
const IMAGE = "slipway-example/hello-node";

function runIdOf(output: string): string {
  const match = /^run (\S+): /m.exec(output);
  if (!match?.[1]) throw new Error(`no run id in output:\n${output}`);
  return match[1];
}

async function leftovers(runId: string) {
  return engine.listResources([`${LABEL.run}=${runId}`]);
}

describe("slipway run (real engine, real git)", () => {
  let repo: FixtureRepo;
  let dataDir: string;
  const env = () => ({ SLIPWAY_DATA_DIR: dataDir });

  beforeAll(async () => {
    repo = createFixtureRepo();
    dataDir = mkdtempSync(join(tmpdir(), "slipway-run-test-"));
    // Images from an earlier run of the suite would make "tagged" assertions pass vacuously.
    for (const tag of ["develop-1", "develop", "v1.0", "latest", "feature-greeting-2", "1.0-rc.4"]) {
      await engine.removeImage(`${IMAGE}:${tag}`);
    }
  });
  afterAll(() => {
    repo.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("runs develop: builds in the builder image, packages develop-1 and develop with OCI labels", async () => {
    // A dirty working tree must not leak into the build: the run checks the commit out elsewhere.
    writeFileSync(join(repo.dir, "src", "greet.js"), "syntax error (\n");
    const result = await runCli(["run", "--repo", repo.dir, "--ref", "develop"], env());
    git(repo.dir, "checkout", "--", "src/greet.js");
    expect(result.code, result.stdout + result.stderr).toBe(0);
    // The host runs Node 20; the builder image has Debian's Node 18: the step ran in the builder.
    expect(result.stdout).toMatch(/^\$ node --version\nv18\./m);
    expect(result.stdout).toMatch(/^# pass 2$/m);
    expect(result.stdout).toMatch(/^build\s+success/m);
    expect(result.stdout).toMatch(/^package\s+success/m);
    // The integration stage ran two isolated stacks of the image just packaged (it checks the version).
    expect(result.stdout).toMatch(/^integration\s+success\s+\S+\s+2\/2 shard\(s\) passed, tests 4 passed 0 failed/m);
    expect(result.stdout).toMatch(/^push\s+skipped\s+-\s+not run locally/m);
    expect(existsSync(join(repo.dir, "out"))).toBe(false);

    const sha = git(repo.dir, "rev-parse", "develop");
    const labels = await imageLabels(`${IMAGE}:develop-1`);
    expect(labels["org.opencontainers.image.revision"]).toBe(sha);
    expect(labels["org.opencontainers.image.version"]).toBe("develop-1");
    expect(labels["org.opencontainers.image.source"]).toBe(repo.dir);
    expect(Date.parse(labels["org.opencontainers.image.created"] ?? "")).toBeGreaterThan(Date.now() - 600_000);
    expect((await engine.imageId(`${IMAGE}:develop`)) ?? "").toBe(await engine.imageId(`${IMAGE}:develop-1`));
    // The artifact (out/VERSION, written in the builder) made it into the packaged image.
    const cat = await runOnce(`${IMAGE}:develop-1`, ["cat", "/app/VERSION"]);
    expect(cat.code, cat.output).toBe(0);
    expect(await leftovers(runIdOf(result.stdout))).toEqual([]);
  });

  it("runs a feature branch: CI only, tagged locally, nothing pushed", async () => {
    const result = await runCli(["run", "--repo", repo.dir, "--ref", "feature/greeting"], env());
    expect(result.code, result.stdout + result.stderr).toBe(0);
    // The number is the run's: whatever ran before in this data dir, the version carries it.
    const version = /feature\/greeting is a feature ref: version (feature-greeting-\d+)/.exec(result.stdout);
    expect(version?.[1]).toBeDefined();
    expect(result.stdout).toMatch(/^push\s+skipped/m);
    // The fixture's commits are new each time, so an older image cannot carry this revision.
    expect((await imageLabels(`${IMAGE}:${version?.[1]}`))["org.opencontainers.image.revision"]).toBe(
      git(repo.dir, "rev-parse", "feature/greeting"),
    );
  });

  it("runs the v1.0 tag as a release: tagged v1.0 and latest", async () => {
    const result = await runCli(["run", "--repo", repo.dir, "--ref", "v1.0"], env());
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/v1\.0 is a tag ref: version v1\.0/);
    const v10 = await engine.imageId(`${IMAGE}:v1.0`);
    expect(v10).toBeDefined();
    expect(await engine.imageId(`${IMAGE}:latest`)).toBe(v10);
    expect((await imageLabels(`${IMAGE}:v1.0`))["org.opencontainers.image.revision"]).toBe(
      git(repo.dir, "rev-parse", "v1.0^{commit}"),
    );
  });

  it("reuses the builder image on the next run: same id, no build", async () => {
    const builders = async () =>
      (await docker.listImages({ filters: { reference: ["slipway-builder/node"] } })).map((i) => i.Id).sort();
    // The first run builds the builder image when no earlier test did; the second must reuse it.
    const first = await runCli(["run", "--repo", repo.dir, "--ref", "release/1.0", "--only", "build"], env());
    expect(first.code, first.stdout + first.stderr).toBe(0);
    const before = await builders();
    expect(before.length).toBeGreaterThan(0);
    const result = await runCli(["run", "--repo", repo.dir, "--ref", "release/1.0", "--only", "build"], env());
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/builder node: using slipway-builder\/node:18-[0-9a-f]{12} \(.*reused\)/);
    expect(result.stdout).not.toMatch(/built slipway-builder/);
    expect(result.stdout).not.toMatch(/^\s*Step 1\/\d+ : FROM/m);
    expect(result.stdout).toMatch(/^package\s+skipped\s+-\s+not selected by --only/m);
    expect(await builders()).toEqual(before);
  });

  it("fails the stage on a failing unit test, shows the failure, exits 1", async () => {
    const result = await runCli(["run", "--repo", repo.dir, "--ref", "feature/broken"], env());
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/not ok \d+ - greets by name/);
    expect(result.stdout).toMatch(/^build\s+failed\s+\S+\s+exit code 1/m);
    expect(result.stdout).toMatch(/^package\s+skipped\s+-\s+an earlier stage failed/m);
    expect(await leftovers(runIdOf(result.stdout))).toEqual([]);
  });

  it("cancels on SIGINT mid-step: exit 130, nothing left behind", async () => {
    const slow = createFixtureRepo({
      "slipway.yml": [
        "name: slow",
        "builders:",
        "  box: { image: busybox:latest }",
        "stages:",
        "  - name: wait",
        "    builder: box",
        // A long sleep: cancelling must stop it (SIGTERM via the init, SIGKILL after the grace) and clean up.
        "    commands: [echo started, sleep 300]",
        "",
      ].join("\n"),
    });
    try {
      const run = startCli(["run", "--repo", slow.dir, "--grace", "1"], env());
      await run.waitFor(/^started$/m);
      const runId = runIdOf(run.output());
      expect((await leftovers(runId)).some((r) => r.kind === "container")).toBe(true);
      run.child.kill("SIGINT");
      const result = await run.done;
      expect(result.code, result.stdout + result.stderr).toBe(130);
      expect(result.stdout).toMatch(/^wait\s+cancelled/m);
      expect(await leftovers(runId)).toEqual([]);
      const owned = await engine.listResources([`${LABEL.owner}=${TEST_OWNER}`, `${LABEL.run}=${runId}`]);
      expect(owned).toEqual([]);
    } finally {
      slow.cleanup();
    }
  });

  it("refuses an invalid pipeline with file:line:column and exit 1", async () => {
    const bad = createFixtureRepo({
      "slipway.yml": "name: bad\nstages:\n  - name: build\n    builder: nope\n    commands: [true]\n",
    });
    try {
      const result = await runCli(["run", "--repo", bad.dir], env());
      expect(result.code).toBe(1);
      expect(result.stdout).toMatch(/^slipway\.yml:4:14: error SLIPWAY_E_PIPELINE_UNKNOWN_BUILDER/m);
    } finally {
      bad.cleanup();
    }
  });
});
