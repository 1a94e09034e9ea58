import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DockerEngine, LABEL } from "../../engine/index.js";
import { runCli } from "../helpers/cli.js";
import { git } from "../helpers/fixture-repo.js";

// A run's first build step on a plain image starts while the checkout is copied into its
// workspace volume through a second container (builders/workspace.ts, fillBeside); its script
// waits for the copy's last entry. Through the compiled CLI on a real engine: the step sees the
// whole commit and no marker, so does the next step, and nothing of the run is left behind.

const root = mkdtempSync(join(tmpdir(), "slipway-first-copy-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const engine = new DockerEngine();

function repoWith(files: Record<string, string>, links: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(root, "repo-"));
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(join(dir, rel, ".."), { recursive: true });
    writeFileSync(join(dir, rel), text);
  }
  for (const [rel, target] of Object.entries(links)) symlinkSync(target, join(dir, rel));
  git(dir, "init", "-q", "-b", "develop");
  git(dir, "add", "-A");
  git(dir, "-c", "user.email=t@example.invalid", "-c", "user.name=t", "commit", "-qm", "one");
  return dir;
}

const PIPELINE = `name: copy
builders:
  box: { image: busybox:latest }
stages:
  - name: first
    builder: box
    commands: ["ls -A /workspace /workspace/src", "cat src/a.txt"]
  - name: second
    builder: box
    commands: ["ls -A /workspace"]
`;

describe("the first step's workspace copy, made while it starts", () => {
  it("gives the first step the whole commit, and no step a marker", async () => {
    const dir = repoWith({ "slipway.yml": PIPELINE, "src/a.txt": "from the commit\n", "top.txt": "t\n" });
    // Uncommitted: never part of the copy.
    writeFileSync(join(dir, "dirty.txt"), "no\n");
    const result = await runCli(["run", "--repo", dir], { SLIPWAY_DATA_DIR: join(root, "data") });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain("from the commit");
    const listings = result.stdout.split("\n").filter((l) => /^(slipway\.yml|src|top\.txt|a\.txt|dirty\.txt)$/.test(l));
    // first: /workspace (slipway.yml, src, top.txt) and /workspace/src (a.txt); second: /workspace again.
    expect(listings).toEqual(["slipway.yml", "src", "top.txt", "a.txt", "slipway.yml", "src", "top.txt"]);
    expect(result.stdout).not.toContain(".slipway-copied");
    const runId = /^run (\S+): /m.exec(result.stdout)?.[1] ?? "";
    expect(await engine.listResources([`${LABEL.run}=${runId}`])).toEqual([]);
  });

  it("reads a pipeline file that is a symbolic link from the checkout, as before", async () => {
    const dir = repoWith(
      { "ci/pipeline.yml": PIPELINE, "src/a.txt": "linked\n" },
      { "slipway.yml": "ci/pipeline.yml" },
    );
    const result = await runCli(["run", "--repo", dir], { SLIPWAY_DATA_DIR: join(root, "data") });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain("linked");
  });
});
