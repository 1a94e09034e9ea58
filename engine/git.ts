import { execFile } from "node:child_process";
import { mkdir } from "node:fs/promises";
import { EngineError } from "./errors.js";

// The local repository's git calls (`slipway run`) go to the git binary directly, not through
// simple-git: simple-git waits 50 ms after every command that prints nothing (a quiet clone,
// a quiet checkout, a missing config key) before it resolves, which was 150 ms of each run,
// and loading it was another 20-30 ms. Arguments are Slipway's own; what a user typed (a ref)
// reaches git only on stdin (`cat-file --batch-check`), never as an argument it could read
// as an option.

export interface ResolvedRef {
  /** Full ref name (`refs/heads/develop`, `refs/tags/v1.0`), or the sha for a detached commit. */
  ref: string;
  sha: string;
  isTag: boolean;
}

interface GitResult {
  code: number;
  stdout: string;
  stderr: string;
}

function git(cwd: string, args: string[], input?: string): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    const child = execFile("git", args, { cwd, encoding: "utf8", maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      const code = err ? (err as { code?: unknown }).code : 0;
      // A string code (ENOENT: no git binary, ENOTDIR) is a spawn failure, not git's answer.
      if (typeof code !== "number") reject(err);
      else resolve({ code, stdout, stderr });
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

function notARepo(dir: string, detail: string): EngineError {
  return new EngineError("SLIPWAY_E_GIT_NOT_A_REPO", `${dir} is not a git repository: ${detail.trim()}`);
}

/**
 * The working tree a directory belongs to and its current branch (undefined when HEAD is
 * detached), in one `git rev-parse`.
 */
export async function workingTreeOf(dir: string): Promise<{ top: string; branch?: string }> {
  const r = await git(dir, ["rev-parse", "--show-toplevel", "--symbolic-full-name", "HEAD"]);
  if (r.code !== 0) {
    // Either not a repository, or one whose HEAD names no commit yet: ask again to tell which.
    const top = await git(dir, ["rev-parse", "--show-toplevel"]);
    if (top.code !== 0) throw notARepo(dir, top.stderr);
    throw new EngineError("SLIPWAY_E_GIT_REF_NOT_FOUND", `HEAD of ${top.stdout.trim()} names no commit yet`);
  }
  const [top = "", head = ""] = r.stdout.split("\n");
  return { top, branch: head.startsWith("refs/heads/") ? head.slice("refs/heads/".length) : undefined };
}

/**
 * Resolves what a user typed (`develop`, `feature/x`, `v1.0`, `refs/tags/v1.0`, a sha) in a
 * local repository. Branches win over tags of the same name, as in `git checkout`; a local
 * repository's remote-tracking branches count when there is no local branch. Every
 * candidate is looked up by one `git cat-file --batch-check`.
 */
export async function resolveRef(repoDir: string, input: string): Promise<ResolvedRef> {
  const notFound = () => new EngineError("SLIPWAY_E_GIT_REF_NOT_FOUND", `ref "${input}" not found in ${repoDir}`);
  // One name a line on stdin: a line break would smuggle in another lookup (no ref has one).
  if (input === "" || /[\n\r\0]/.test(input)) throw notFound();
  const candidates = input.startsWith("refs/")
    ? [input]
    : [`refs/heads/${input}`, `refs/tags/${input}`, `refs/remotes/origin/${input}`];
  const names = [...candidates, input];
  const r = await git(repoDir, ["cat-file", "--batch-check"], names.map((n) => `${n}^{commit}\n`).join(""));
  if (r.code !== 0) throw notARepo(repoDir, r.stderr);
  // One answer a line, in order: `<sha> commit <size>`, or `<name> missing` / `<name> ambiguous`.
  const answers = r.stdout.split("\n");
  for (const [i, name] of names.entries()) {
    const [sha, type] = (answers[i] ?? "").split(" ");
    if (type !== "commit" || !sha) continue;
    if (i === names.length - 1) return { ref: sha, sha, isTag: false };
    const isTag = name.startsWith("refs/tags/");
    return { ref: name.startsWith("refs/remotes/origin/") ? `refs/heads/${input}` : name, sha, isTag };
  }
  throw notFound();
}

/** The current branch of a working tree, or undefined when detached. */
export async function currentBranch(repoDir: string): Promise<string | undefined> {
  return (await workingTreeOf(repoDir)).branch;
}

/**
 * Checks a commit out into a fresh directory, never touching the user's working tree.
 * `--shared` borrows the source repository's objects, so this costs a checkout, not a copy
 * of the history.
 */
export async function checkoutWorkspace(repoDir: string, sha: string, dest: string): Promise<void> {
  await mkdir(dest, { recursive: true });
  const clone = await git(dest, ["clone", "--quiet", "--shared", "--no-checkout", repoDir, "."]);
  if (clone.code !== 0) throw new Error(`git clone of ${repoDir} failed: ${clone.stderr.trim()}`);
  const checkout = await git(dest, ["-c", "advice.detachedHead=false", "checkout", "--quiet", "--detach", sha]);
  if (checkout.code !== 0) throw new Error(`git checkout of ${sha} failed: ${checkout.stderr.trim()}`);
}

/** `origin` URL of a repository, for the OCI source label; undefined when there is none. */
export async function originUrl(repoDir: string): Promise<string | undefined> {
  const r = await git(repoDir, ["config", "--get", "remote.origin.url"]);
  return (r.code === 0 && r.stdout.trim()) || undefined;
}
