import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { restoreArtifacts } from "../../../runner/serve/restore-artifacts.js";

/**
 * A retry restores the original run's artifacts into a fresh checkout of the same untrusted
 * commit. That checkout may hold a committed `out -> /host/dir` symlink: the restore must go
 * through the safe extractor, never a copy that follows it.
 */
describe("restoreArtifacts (retry of a run)", () => {
  const dirs: string[] = [];
  const temp = () => {
    const d = mkdtempSync(join(tmpdir(), "slipway-restore-"));
    dirs.push(d);
    return d;
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  function storedArtifacts(dataDir: string, runId: string, files: Record<string, string>) {
    for (const [rel, text] of Object.entries(files)) {
      const path = join(dataDir, "runs", runId, "artifacts", "build", rel);
      mkdirSync(join(path, ".."), { recursive: true });
      writeFileSync(path, text);
    }
  }

  it("copies the original's artifacts into the new worktree and the run's artifact dir", async () => {
    const dataDir = temp();
    const worktree = temp();
    const artifactsDir = temp();
    storedArtifacts(dataDir, "r1", { "out/app.js": "console.log(1)\n" });
    await restoreArtifacts(dataDir, "r1", artifactsDir, worktree);
    expect(readFileSync(join(worktree, "out/app.js"), "utf8")).toBe("console.log(1)\n");
    expect(readFileSync(join(artifactsDir, "build/out/app.js"), "utf8")).toBe("console.log(1)\n");
  });

  it("never writes through a symlink committed in the new worktree", async () => {
    const dataDir = temp();
    const worktree = temp();
    const artifactsDir = temp();
    const hostDir = temp();
    storedArtifacts(dataDir, "r1", { "out/evil.txt": "x\n" });
    symlinkSync(hostDir, join(worktree, "out"));
    await expect(restoreArtifacts(dataDir, "r1", artifactsDir, worktree)).rejects.toMatchObject({
      code: "SLIPWAY_E_ARTIFACT_SYMLINK",
    });
    expect(existsSync(join(hostDir, "evil.txt"))).toBe(false);
    expect(readdirSync(hostDir)).toEqual([]);
  });

  it("a run without stored artifacts restores nothing", async () => {
    const worktree = temp();
    await restoreArtifacts(temp(), "none", temp(), worktree);
    expect(readdirSync(worktree)).toEqual([]);
  });
});
