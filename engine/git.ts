import { execFile } from "node:child_process";
import { mkdir, rm } from "node:fs/promises";
import { resolve as resolvePath } from "node:path";
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

function git(cwd: string, args: string[], env?: Record<string, string>): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    const options = { cwd, encoding: "utf8" as const, maxBuffer: 1 << 20, env: env && { ...process.env, ...env } };
    execFile("git", args, options, (err, stdout, stderr) => {
      const code = err ? (err as { code?: unknown }).code : 0;
      // A string code (ENOENT: no git binary, ENOTDIR) is a spawn failure, not git's answer.
      if (typeof code !== "number") reject(err);
      else resolve({ code, stdout, stderr });
    });
  });
}

/** Runs `file` with `lines` on its stdin, one a line; its raw stdout (at most 1 MiB). */
function withLinesOnStdin(cwd: string, file: string, args: string[], lines: string[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = execFile(file, args, { cwd, encoding: "buffer", maxBuffer: 1 << 20 }, (err, stdout) =>
      err ? reject(err) : resolve(stdout),
    );
    // A child gone before reading its stdin (no git binary, git outside a repository) fails
    // the write with EPIPE: its exit is what the callback reports, and the stream's error must
    // not end the process.
    child.stdin?.on("error", () => {});
    child.stdin?.end(lines.map((line) => `${line}\n`).join(""));
  });
}

/** `git cat-file --batch` with `queries` on stdin, one a line; its raw answers. */
function catFileBatch(cwd: string, queries: string[]): Promise<Buffer> {
  return withLinesOnStdin(cwd, "git", ["cat-file", "--batch"], queries);
}

interface BatchAnswer {
  oid: string;
  type: string;
  body: Buffer;
}

/** Splits `cat-file --batch` output: per query its object, or undefined (missing, ambiguous). */
function batchAnswers(out: Buffer, count: number): (BatchAnswer | undefined)[] {
  const answers: (BatchAnswer | undefined)[] = [];
  let at = 0;
  while (answers.length < count && at < out.length) {
    const eol = out.indexOf(10, at);
    if (eol < 0) break;
    const header = /^([0-9a-f]{40,64}) (\w+) (\d+)$/.exec(out.subarray(at, eol).toString("utf8"));
    at = eol + 1;
    if (!header) {
      answers.push(undefined); // `<query> missing`
      continue;
    }
    const size = Number(header[3]);
    answers.push({ oid: header[1] ?? "", type: header[2] ?? "", body: out.subarray(at, at + size) });
    at += size + 1;
  }
  return answers;
}

/** The mode (`100644`, `120000`, ...) of `name` in a raw tree object, undefined when absent. */
function treeEntryMode(tree: Buffer, name: string, oidBytes: number): string | undefined {
  let at = 0;
  while (at < tree.length) {
    const space = tree.indexOf(32, at);
    const nul = tree.indexOf(0, space);
    if (space < 0 || nul < 0) return undefined;
    if (tree.subarray(space + 1, nul).toString("utf8") === name) return tree.subarray(at, space).toString("ascii");
    at = nul + 1 + oidBytes;
  }
  return undefined;
}

function notARepo(dir: string, detail: string): EngineError {
  return new EngineError("SLIPWAY_E_GIT_NOT_A_REPO", `${dir} is not a git repository: ${detail.trim()}`);
}

/**
 * The working tree a directory belongs to and its current branch (undefined when HEAD is
 * detached), in one `git rev-parse`.
 */
export async function workingTreeOf(dir: string): Promise<{ top: string; branch?: string }> {
  const r = await git(dir, REV_PARSE_TREE);
  if (r.code !== 0) {
    // Either not a repository, or one whose HEAD names no commit yet: ask again to tell which.
    const top = await git(dir, ["rev-parse", "--show-toplevel"]);
    if (top.code !== 0) throw notARepo(dir, top.stderr);
    throw new EngineError("SLIPWAY_E_GIT_REF_NOT_FOUND", `HEAD of ${top.stdout.trim()} names no commit yet`);
  }
  return workingTree(r.stdout);
}

/** The work tree's top directory, then HEAD's full name (`HEAD` itself when detached). */
const REV_PARSE_TREE = ["rev-parse", "--show-toplevel", "--symbolic-full-name", "HEAD"];

/** REV_PARSE_TREE's answer. */
function workingTree(answer: string): { top: string; branch?: string } {
  const [top = "", head = ""] = answer.split("\n");
  return { top, branch: head.startsWith("refs/heads/") ? head.slice("refs/heads/".length) : undefined };
}

/**
 * Resolves what a user typed (`develop`, `feature/x`, `v1.0`, `refs/tags/v1.0`, a sha,
 * `HEAD`) in a local repository. Branches win over tags of the same name, as in `git
 * checkout`; a local repository's remote-tracking branches count when there is no local
 * branch; `HEAD` is the checked-out commit. Every candidate is looked up by one `git cat-file
 * --batch`, run in `repoDir`.
 *
 * `readFile` (relative to `repoDir`, `/`-separated) is read from the resolved commit in the
 * same call, so `slipway run` parses its pipeline before the checkout is made: `file` is its
 * text when the commit has a regular file there, and undefined for anything else (none, a
 * symbolic link whose target only a checkout can follow, a path git cannot take on one line,
 * an answer over 1 MiB): the caller then reads the checkout.
 */
export async function resolveRef(
  repoDir: string,
  input: string,
  opts: { readFile?: string } = {},
): Promise<ResolvedRef & { file?: string }> {
  const lookup = refLookup(repoDir, input, opts.readFile);
  let out: Buffer;
  try {
    out = await catFileBatch(repoDir, lookup.queries);
  } catch (err) {
    const stderr = (err as { stderr?: Buffer | string }).stderr;
    if (typeof (err as { code?: unknown }).code === "number") throw notARepo(repoDir, String(stderr ?? ""));
    if (lookup.file === undefined) throw err;
    // The answers did not fit (a file over 1 MiB): resolve without the file.
    return resolveRef(repoDir, input);
  }
  return lookup.answer(out);
}

/**
 * `workingTreeOf` and `resolveRef` together, as `slipway run` asks them, in one process
 * started from here: `sh` runs `git rev-parse`, then `exec`s `git cat-file --batch` with the
 * stdin it was given. Why one: Node's main thread waits for each child it spawns until the
 * child has exec'd (libuv learns of a failed exec that way), 7-12 ms a git process on a
 * two-core machine, and a run's start-up is CPU-bound on that thread; the shell and its two
 * gits then run beside it. Only the answers of a run that goes ahead come this way: when
 * rev-parse fails (not a repository, no commit yet), or the answers do not fit, the two calls
 * are asked again one by one, so every error is theirs, in that order.
 */
export async function inspectRepo(
  repoDir: string,
  input: string,
  opts: { readFile?: string } = {},
): Promise<{ tree: { top: string; branch?: string }; found: ResolvedRef & { file?: string } }> {
  const oneByOne = async () => {
    const tree = await workingTreeOf(repoDir);
    return { tree, found: await resolveRef(repoDir, input, opts) };
  };
  let lookup: ReturnType<typeof refLookup>;
  try {
    lookup = refLookup(repoDir, input, opts.readFile);
  } catch {
    return oneByOne();
  }
  const script = `git ${REV_PARSE_TREE.join(" ")} && exec git cat-file --batch`;
  const out = await withLinesOnStdin(repoDir, "/bin/sh", ["-c", script], lookup.queries).catch(() => undefined);
  if (out === undefined) return oneByOne();
  // rev-parse's two lines come first: the top directory, then HEAD's full name (`HEAD` when
  // it is detached).
  const first = out.indexOf(10);
  const second = out.indexOf(10, first + 1);
  if (first < 0 || second < 0) return oneByOne();
  const tree = workingTree(out.subarray(0, second).toString("utf8"));
  return { tree, found: lookup.answer(out.subarray(second + 1)) };
}

/**
 * What `cat-file --batch` is asked to resolve `input` (and read `readFile` from its commit),
 * and how its answers are read. Throws SLIPWAY_E_GIT_REF_NOT_FOUND for a name no ref can have.
 */
function refLookup(repoDir: string, input: string, readFile: string | undefined) {
  const notFound = () => new EngineError("SLIPWAY_E_GIT_REF_NOT_FOUND", `ref "${input}" not found in ${repoDir}`);
  // One name a line on stdin: a line break would smuggle in another lookup (no ref has one).
  if (input === "" || /[\n\r\0]/.test(input)) throw notFound();
  const candidates =
    input.startsWith("refs/") || input === "HEAD"
      ? []
      : [`refs/heads/${input}`, `refs/tags/${input}`, `refs/remotes/origin/${input}`];
  const names = [...candidates, input];
  const file = readFile !== undefined && !/[\n\r\0]/.test(readFile) ? readFile : undefined;
  // Per name: the commit, then (with a file) the tree of repoDir in it and the file itself.
  const perName = file === undefined ? 1 : 3;
  const queries = names.flatMap((n) =>
    file === undefined ? [`${n}^{commit}`] : [`${n}^{commit}`, `${n}:./`, `${n}:./${file}`],
  );
  const answer = (out: Buffer): ResolvedRef & { file?: string } => {
    const answers = batchAnswers(out, queries.length);
    for (const [i, name] of names.entries()) {
      const commit = answers[i * perName];
      if (commit?.type !== "commit") continue;
      const sha = commit.oid;
      const text =
        file === undefined ? undefined : committedFile(answers[i * perName + 1], answers[i * perName + 2], file, sha);
      const found = text === undefined ? {} : { file: text };
      // The last name is what was typed: a sha, `HEAD` or another revision git resolves stands
      // for its commit; a full ref name is itself.
      if (i === names.length - 1 && !name.startsWith("refs/")) return { ref: sha, sha, isTag: false, ...found };
      const isTag = name.startsWith("refs/tags/");
      return { ref: name.startsWith("refs/remotes/origin/") ? `refs/heads/${input}` : name, sha, isTag, ...found };
    }
    throw notFound();
  };
  return { queries, file, answer };
}

/** A regular file's text from its tree's and its blob's answers; undefined for anything else. */
function committedFile(tree: BatchAnswer | undefined, blob: BatchAnswer | undefined, path: string, sha: string) {
  if (tree?.type !== "tree" || blob?.type !== "blob" || path.includes("/")) return undefined;
  const mode = treeEntryMode(tree.body, path, sha.length / 2);
  return mode === "100644" || mode === "100755" ? blob.body.toString("utf8") : undefined;
}

/** The current branch of a working tree, or undefined when detached. */
export async function currentBranch(repoDir: string): Promise<string | undefined> {
  return (await workingTreeOf(repoDir)).branch;
}

/**
 * Writes a commit's files into a fresh directory, never touching the user's working tree or
 * index: one `read-tree -u` in the user's repository, with `dest` as its work tree and an index
 * of its own beside `dest` (removed after). `dest` holds the commit's files and nothing else:
 * no `.git` (the copy into the workspace leaves it out anyway, and a `clone --shared` made
 * there was two git processes and ~20 files more to write and remove on every run). Files
 * go through the repository's attributes (eol, filters) as a checkout would; a sparse-checkout
 * setting of the user's repository is not applied: a run sees the whole commit.
 */
export async function checkoutWorkspace(repoDir: string, sha: string, into: string): Promise<void> {
  // git runs in repoDir: a relative `into` would name a directory there.
  const dest = resolvePath(into);
  await mkdir(dest, { recursive: true });
  const index = `${dest}.index`;
  try {
    const r = await git(
      repoDir,
      ["-c", "core.sparseCheckout=false", `--work-tree=${dest}`, "read-tree", "--reset", "-u", sha],
      { GIT_INDEX_FILE: index },
    );
    if (r.code !== 0) throw new Error(`git checkout of ${sha} failed: ${r.stderr.trim()}`);
  } finally {
    await rm(index, { force: true });
  }
}

/** `origin` URL of a repository, for the OCI source label; undefined when there is none. */
export async function originUrl(repoDir: string): Promise<string | undefined> {
  const r = await git(repoDir, ["config", "--get", "remote.origin.url"]);
  return (r.code === 0 && r.stdout.trim()) || undefined;
}
