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
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkoutWorkspace, inspectRepo, originUrl, resolveRef, workingTreeOf } from "../../../engine/index.js";
import { git } from "../../helpers/fixture-repo.js";

// The local repository's git calls of `slipway run` (engine/git.ts), against real git
// repositories: one commit on `develop` and a tag named like a branch.

const root = mkdtempSync(join(tmpdir(), "slipway-git-"));
const repo = join(root, "repo");
const tracking = join(root, "tracking");
let first = "";
let second = "";

beforeAll(() => {
  mkdirSync(join(repo, "sub"), { recursive: true });
  writeFileSync(join(repo, "sub", "slipway.yml"), "name: x\n");
  git(repo, "init", "-q", "-b", "develop");
  git(repo, "add", "-A");
  git(repo, "commit", "-qm", "one");
  first = git(repo, "rev-parse", "HEAD");
  git(repo, "tag", "-a", "-m", "annotated", "v1.0");
  // A tag named like the branch, on the first commit: the branch must win.
  git(repo, "tag", "shadow");
  git(repo, "branch", "shadow", first);
  writeFileSync(join(repo, "NOTES.md"), "two\n");
  git(repo, "add", "-A");
  git(repo, "commit", "-qm", "two");
  second = git(repo, "rev-parse", "HEAD");
  git(repo, "branch", "-f", "shadow", second);
  git(repo, "branch", "feature/x", first);
  // A clone with an origin, made here so that no test depends on another's order (the CI's
  // shuffled pass runs them in any order).
  git(root, "clone", "-q", "-b", "develop", repo, tracking);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("workingTreeOf", () => {
  it("gives the top of the working tree and the current branch, from a subdirectory", async () => {
    expect(await workingTreeOf(join(repo, "sub"))).toEqual({ top: repo, branch: "develop" });
  });

  it("gives no branch on a detached HEAD", async () => {
    const detached = join(root, "detached");
    git(root, "clone", "-q", repo, detached);
    git(detached, "checkout", "-q", "--detach", first);
    expect(await workingTreeOf(detached)).toEqual({ top: detached, branch: undefined });
  });

  it("refuses a directory outside any repository with SLIPWAY_E_GIT_NOT_A_REPO", async () => {
    const plain = mkdtempSync(join(tmpdir(), "slipway-not-git-"));
    try {
      await expect(workingTreeOf(plain)).rejects.toMatchObject({ code: "SLIPWAY_E_GIT_NOT_A_REPO" });
    } finally {
      rmSync(plain, { recursive: true, force: true });
    }
  });

  it("refuses a repository without a commit with SLIPWAY_E_GIT_REF_NOT_FOUND", async () => {
    const empty = join(root, "empty");
    git(root, "init", "-q", empty);
    await expect(workingTreeOf(empty)).rejects.toMatchObject({ code: "SLIPWAY_E_GIT_REF_NOT_FOUND" });
  });
});

describe("resolveRef", () => {
  it.each([
    ["develop", { ref: "refs/heads/develop", isTag: false }],
    ["refs/heads/develop", { ref: "refs/heads/develop", isTag: false }],
    ["v1.0", { ref: "refs/tags/v1.0", isTag: true }],
  ])("%s", async (input, expected) => {
    const sha = input === "v1.0" ? first : second;
    expect(await resolveRef(repo, input)).toEqual({ ...expected, sha });
  });

  it("peels an annotated tag to its commit", async () => {
    const tagObject = git(repo, "rev-parse", "v1.0");
    expect(tagObject).not.toBe(first);
    expect((await resolveRef(repo, "v1.0")).sha).toBe(first);
  });

  it("prefers the branch over a tag of the same name, as git checkout does", async () => {
    expect(await resolveRef(repo, "shadow")).toEqual({ ref: "refs/heads/shadow", sha: second, isTag: false });
  });

  it("takes a sha (full or short) as a detached commit", async () => {
    expect(await resolveRef(repo, first)).toEqual({ ref: first, sha: first, isTag: false });
    expect(await resolveRef(repo, first.slice(0, 10))).toEqual({ ref: first, sha: first, isTag: false });
  });

  it("counts origin's remote-tracking branches as branches", async () => {
    expect(await resolveRef(tracking, "feature/x")).toEqual({ ref: "refs/heads/feature/x", sha: first, isTag: false });
  });

  it.each([
    ["nope"],
    [""],
    // An option to git, were it an argument: here only a name on stdin, which matches nothing.
    ["--output=/tmp/slipway-git-owned"],
    // A line break would be a second lookup on stdin.
    [`nope\n${"develop"}`],
  ])("refuses %j with SLIPWAY_E_GIT_REF_NOT_FOUND", async (input) => {
    await expect(resolveRef(repo, input)).rejects.toMatchObject({ code: "SLIPWAY_E_GIT_REF_NOT_FOUND" });
    expect(existsSync("/tmp/slipway-git-owned")).toBe(false);
  });

  it("reports a directory outside any repository, even for a name larger than a pipe holds", async () => {
    // git exits without reading its stdin: the write fails with EPIPE, which must not escape.
    const plain = mkdtempSync(join(tmpdir(), "slipway-not-git-"));
    try {
      await expect(resolveRef(plain, "x".repeat(300_000))).rejects.toMatchObject({ code: "SLIPWAY_E_GIT_NOT_A_REPO" });
    } finally {
      rmSync(plain, { recursive: true, force: true });
    }
  });
});

describe("resolveRef with readFile: the pipeline file read from the commit", () => {
  it("reads a regular file of the commit, relative to the directory asked in, not the working tree", async () => {
    // The working tree's copy differs from the commit's: the commit's is what runs.
    writeFileSync(join(repo, "sub", "slipway.yml"), "name: uncommitted\n");
    try {
      const found = await resolveRef(join(repo, "sub"), "develop", { readFile: "slipway.yml" });
      expect(found).toEqual({ ref: "refs/heads/develop", sha: second, isTag: false, file: "name: x\n" });
    } finally {
      git(repo, "checkout", "--", "sub/slipway.yml");
    }
  });

  it("reads it at the resolved ref (a tag's commit)", async () => {
    const found = await resolveRef(join(repo, "sub"), "v1.0", { readFile: "slipway.yml" });
    expect(found).toMatchObject({ ref: "refs/tags/v1.0", sha: first, file: "name: x\n" });
  });

  it("gives no text for a missing file, a symbolic link or a nested path (the caller reads the checkout)", async () => {
    const linked = join(root, "linked");
    mkdirSync(join(linked, "ci"), { recursive: true });
    writeFileSync(join(linked, "ci", "slipway.yml"), "name: real\n");
    symlinkSync("ci/slipway.yml", join(linked, "slipway.yml"));
    git(linked, "init", "-q", "-b", "main");
    git(linked, "add", "-A");
    git(linked, "commit", "-qm", "one");
    const sha = git(linked, "rev-parse", "HEAD");
    expect(await resolveRef(linked, "main", { readFile: "slipway.yml" })).toEqual({
      ref: "refs/heads/main",
      sha,
      isTag: false,
    });
    expect((await resolveRef(linked, "main", { readFile: "nope.yml" })).file).toBeUndefined();
    expect((await resolveRef(linked, "main", { readFile: "ci/slipway.yml" })).file).toBeUndefined();
    expect((await resolveRef(join(linked, "ci"), "main", { readFile: "slipway.yml" })).file).toBe("name: real\n");
  });

  it("resolves HEAD to the checked-out commit, never to origin's HEAD", async () => {
    // A clone has refs/remotes/origin/HEAD; a detached HEAD elsewhere must still be itself.
    const detached = join(root, "detached-head");
    git(root, "clone", "-q", "-b", "develop", repo, detached);
    git(detached, "checkout", "-q", "--detach", first);
    expect(git(detached, "rev-parse", "refs/remotes/origin/HEAD")).toBe(second);
    expect(await resolveRef(detached, "HEAD", { readFile: "sub/slipway.yml" })).toEqual({
      ref: first,
      sha: first,
      isTag: false,
    });
    expect((await resolveRef(join(detached, "sub"), "HEAD", { readFile: "slipway.yml" })).file).toBe("name: x\n");
  });
});

describe("inspectRepo: workingTreeOf and resolveRef in one process", () => {
  it("answers as the two calls do, from a subdirectory, with the file read from the commit", async () => {
    const dir = join(repo, "sub");
    for (const input of ["HEAD", "develop", "v1.0", "shadow", first.slice(0, 10)]) {
      const both = await inspectRepo(dir, input, { readFile: "slipway.yml" });
      expect(both).toEqual({
        tree: await workingTreeOf(dir),
        found: await resolveRef(dir, input, { readFile: "slipway.yml" }),
      });
    }
    expect(await inspectRepo(dir, "v1.0", { readFile: "slipway.yml" })).toEqual({
      tree: { top: repo, branch: "develop" },
      found: { ref: "refs/tags/v1.0", sha: first, isTag: true, file: "name: x\n" },
    });
  });

  it("gives no branch on a detached HEAD", async () => {
    const detached = join(root, "inspect-detached");
    git(root, "clone", "-q", repo, detached);
    git(detached, "checkout", "-q", "--detach", first);
    expect(await inspectRepo(detached, "HEAD")).toEqual({
      tree: { top: detached, branch: undefined },
      found: { ref: first, sha: first, isTag: false },
    });
  });

  it("reports the two calls' errors, in their order", async () => {
    const plain = mkdtempSync(join(tmpdir(), "slipway-not-git-"));
    const empty = join(root, "inspect-empty");
    git(root, "init", "-q", empty);
    try {
      // Not a repository comes first, even with a name no ref can have.
      await expect(inspectRepo(plain, "HEAD")).rejects.toMatchObject({ code: "SLIPWAY_E_GIT_NOT_A_REPO" });
      await expect(inspectRepo(plain, "a\nb")).rejects.toMatchObject({ code: "SLIPWAY_E_GIT_NOT_A_REPO" });
      await expect(inspectRepo(empty, "HEAD")).rejects.toThrow(/names no commit yet/);
      await expect(inspectRepo(repo, "nope")).rejects.toMatchObject({ code: "SLIPWAY_E_GIT_REF_NOT_FOUND" });
      await expect(inspectRepo(repo, "develop\nHEAD")).rejects.toMatchObject({ code: "SLIPWAY_E_GIT_REF_NOT_FOUND" });
      // Queries larger than a pipe holds, to a shell that exits without reading them (EPIPE).
      await expect(inspectRepo(plain, "x".repeat(300_000))).rejects.toMatchObject({
        code: "SLIPWAY_E_GIT_NOT_A_REPO",
      });
    } finally {
      rmSync(plain, { recursive: true, force: true });
    }
  });

  it("resolves without the file when the answers do not fit (a pipeline file over 1 MiB)", async () => {
    const big = join(root, "inspect-big");
    mkdirSync(big);
    writeFileSync(join(big, "slipway.yml"), `# ${"x".repeat(1_200_000)}\n`);
    git(big, "init", "-q", "-b", "main");
    git(big, "add", "-A");
    git(big, "commit", "-qm", "big");
    const sha = git(big, "rev-parse", "HEAD");
    expect(await inspectRepo(big, "HEAD", { readFile: "slipway.yml" })).toEqual({
      tree: { top: big, branch: "main" },
      found: { ref: sha, sha, isTag: false },
    });
  });

  it("runs in a directory whose name a shell would expand, without expanding it", async () => {
    // The shell's command line is Slipway's own; the directory is only its working directory.
    const odd = join(root, "odd $(touch pwned) `touch pwned2` ;x");
    git(root, "clone", "-q", "-b", "develop", repo, odd);
    expect(await inspectRepo(join(odd, "sub"), "HEAD", { readFile: "slipway.yml" })).toMatchObject({
      tree: { top: odd, branch: "develop" },
      found: { sha: second, file: "name: x\n" },
    });
    for (const dir of [root, odd, join(odd, "sub")]) {
      expect(readdirSync(dir).filter((f) => f.startsWith("pwned"))).toEqual([]);
    }
  });
});

describe("checkoutWorkspace and originUrl", () => {
  it("checks a commit out elsewhere without touching the user's working tree", async () => {
    writeFileSync(join(repo, "NOTES.md"), "dirty\n");
    const dest = join(root, "ws", "run-1");
    try {
      const indexBefore = readFileSync(join(repo, ".git", "index"));
      await checkoutWorkspace(repo, first, dest);
      // The commit's files and nothing else: no .git, nothing of the working tree.
      expect(readdirSync(dest, { recursive: true }).sort()).toEqual(["sub", join("sub", "slipway.yml")]);
      expect(readFileSync(join(dest, "sub", "slipway.yml"), "utf8")).toBe("name: x\n");
      // The user's index and working tree are as they were, and the run's own index is gone.
      expect(readFileSync(join(repo, ".git", "index")).equals(indexBefore)).toBe(true);
      expect(git(repo, "status", "--porcelain")).toBe("M NOTES.md");
      expect(readdirSync(join(root, "ws"))).toEqual(["run-1"]);
    } finally {
      git(repo, "checkout", "--", "NOTES.md");
    }
  });

  it("checks out the whole commit into a relative directory, whatever the user's sparse checkout", async () => {
    const sparse = join(root, "sparse");
    git(root, "clone", "-q", "-b", "develop", repo, sparse);
    git(sparse, "sparse-checkout", "set", "--no-cone", "/NOTES.md");
    expect(existsSync(join(sparse, "sub"))).toBe(false);
    const cwd = process.cwd();
    process.chdir(root);
    try {
      await checkoutWorkspace(sparse, second, join("ws-relative", "run-2"));
    } finally {
      process.chdir(cwd);
    }
    const dest = join(root, "ws-relative", "run-2");
    expect(readdirSync(dest, { recursive: true }).sort()).toEqual(["NOTES.md", "sub", join("sub", "slipway.yml")]);
    expect(existsSync(join(sparse, "ws-relative"))).toBe(false);
  });

  it("reports git's error for a commit the repository does not have", async () => {
    await expect(checkoutWorkspace(repo, "0".repeat(40), join(root, "ws-missing", "run"))).rejects.toThrow(
      /git checkout of 0{40} failed/,
    );
    expect(readdirSync(join(root, "ws-missing"))).toEqual(["run"]);
  });

  it("reads origin's URL, and nothing when there is no origin", async () => {
    expect(await originUrl(repo)).toBeUndefined();
    expect(await originUrl(tracking)).toBe(repo);
  });
});
