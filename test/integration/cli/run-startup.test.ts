import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DockerEngine, LABEL } from "../../../engine/index.js";
import { TEST_OWNER } from "../../helpers/cli.js";
import { docker } from "../../helpers/docker.js";
import { createFixtureRepo, git, ROOT } from "../../helpers/fixture-repo.js";

// What `slipway run` does before its first container starts, through the compiled CLI on the
// real engine: the pipeline file's last valid parse is reused while the file and the build are
// the same (runner/pipeline-cache.ts), and orphans are reaped beside the run's start, a failure
// of that reaping being told rather than failing the run.

const pipeline = (word: string) =>
  `name: startup\nbuilders:\n  box: { image: busybox:latest }\nstages:\n  - name: hello\n    builder: box\n    commands: ["echo ${word}"]\n`;
const repo = createFixtureRepo({ "slipway.yml": pipeline("first") });
const dataDir = mkdtempSync(join(tmpdir(), "slipway-startup-"));
const logDir = mkdtempSync(join(tmpdir(), "slipway-startup-imports-"));
afterAll(() => {
  repo.cleanup();
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(logDir, { recursive: true, force: true });
});

let n = 0;
/** `slipway run` of the fixture's develop, recording every module it loads (as lazy-imports does). */
function run(): { code: number | null; stdout: string; loadedYaml: boolean } {
  const log = join(logDir, `imports-${n++}.log`);
  const r = spawnSync(
    process.execPath,
    [
      "--import",
      join(ROOT, "test/fixtures/module-hooks/record-imports.mjs"),
      join(ROOT, "bin/slipway.js"),
      "run",
      "--repo",
      repo.dir,
    ],
    {
      cwd: ROOT,
      encoding: "utf8",
      env: { ...process.env, SLIPWAY_DATA_DIR: dataDir, SLIPWAY_RUNNER_ID: TEST_OWNER, SLIPWAY_TEST_IMPORT_LOG: log },
    },
  );
  const loaded = existsSync(log) ? readFileSync(log, "utf8") : "";
  return { code: r.status, stdout: r.stdout + r.stderr, loadedYaml: /\/vendor\/yaml\.cjs$/m.test(loaded) };
}

function commitPipeline(text: string) {
  writeFileSync(join(repo.dir, "slipway.yml"), text);
  git(repo.dir, "commit", "-qam", "pipeline");
}

describe("slipway run: the pipeline's last parse", () => {
  it("parses a file once, reuses the parse while it is unchanged, and parses a changed one", () => {
    const first = run();
    expect(first.code, first.stdout).toBe(0);
    expect(first.stdout).toMatch(/^first$/m);
    expect(first.loadedYaml).toBe(true);

    const again = run();
    expect(again.code, again.stdout).toBe(0);
    expect(again.stdout).toMatch(/^first$/m);
    // Nothing parsed YAML: the run went from the kept parse.
    expect(again.loadedYaml).toBe(false);

    commitPipeline(pipeline("second"));
    const changed = run();
    expect(changed.code, changed.stdout).toBe(0);
    expect(changed.stdout).toMatch(/^second$/m);
    expect(changed.stdout).not.toMatch(/^first$/m);
    expect(changed.loadedYaml).toBe(true);
  });

  it("never keeps a pipeline with errors: each run reports them at file:line:column", () => {
    commitPipeline(`${pipeline("third")}  - name: nope\n    builder: missing\n    commands: [true]\n`);
    for (let i = 0; i < 2; i++) {
      const broken = run();
      expect(broken.code).toBe(1);
      expect(broken.stdout).toMatch(/slipway\.yml:9:\d+/);
      expect(broken.loadedYaml).toBe(true);
    }
    commitPipeline(pipeline("fourth"));
    expect(run().stdout).toMatch(/^fourth$/m);
  });
});

describe("slipway run: reaping orphans beside the run", () => {
  it("tells a failed reaping and runs the pipeline all the same", async () => {
    // An orphan volume (its owner a dead process of this host) that gc cannot remove: an
    // unlabelled container outside Slipway still uses it.
    const engine = new DockerEngine();
    const volume = `slipway-test-orphan-${process.pid}`;
    await engine.createVolume(volume, {
      [LABEL.owner]: TEST_OWNER,
      [LABEL.host]: hostname(),
      [LABEL.pid]: "2147483646",
      [LABEL.run]: "orphan-run",
    });
    const holder = await docker.createContainer({
      Image: "busybox:latest",
      Cmd: ["sleep", "120"],
      HostConfig: { Binds: [`${volume}:/data`] },
    });
    await holder.start();
    try {
      const result = run();
      expect(result.code, result.stdout).toBe(0);
      expect(result.stdout).toMatch(/^gc: reaping dead runs' resources failed: .*in use/m);
      expect(result.stdout).toMatch(/^fourth$/m);
    } finally {
      await holder.remove({ force: true });
      await engine.removeResource({ kind: "volume", id: volume, name: volume, labels: {} });
    }
  });
});
