import { mkdir } from "node:fs/promises";
import { simpleGit } from "simple-git";
import { EngineError } from "./errors.js";

export interface ResolvedRef {
  /** Full ref name (`refs/heads/develop`, `refs/tags/v1.0`), or the sha for a detached commit. */
  ref: string;
  sha: string;
  isTag: boolean;
}

/**
 * Resolves what a user typed (`develop`, `feature/x`, `v1.0`, `refs/tags/v1.0`, a sha) in a
 * local repository. Branches win over tags of the same name, as in `git checkout`; a local
 * repository's remote-tracking branches count when there is no local branch.
 */
export async function resolveRef(repoDir: string, input: string): Promise<ResolvedRef> {
  const git = simpleGit(repoDir);
  if (!(await git.checkIsRepo().catch(() => false))) {
    throw new EngineError("SLIPWAY_E_GIT_NOT_A_REPO", `${repoDir} is not a git repository`);
  }
  const candidates = input.startsWith("refs/")
    ? [input]
    : [`refs/heads/${input}`, `refs/tags/${input}`, `refs/remotes/origin/${input}`];
  for (const ref of candidates) {
    const sha = await revParse(repoDir, `${ref}^{commit}`);
    if (sha) {
      const isTag = ref.startsWith("refs/tags/");
      const name = ref.startsWith("refs/remotes/origin/") ? `refs/heads/${input}` : ref;
      return { ref: name, sha, isTag };
    }
  }
  const sha = await revParse(repoDir, `${input}^{commit}`);
  if (sha) return { ref: sha, sha, isTag: false };
  throw new EngineError("SLIPWAY_E_GIT_REF_NOT_FOUND", `ref "${input}" not found in ${repoDir}`);
}

async function revParse(repoDir: string, spec: string): Promise<string | undefined> {
  try {
    return (await simpleGit(repoDir).raw(["rev-parse", "--verify", "--quiet", spec])).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** The current branch of a working tree, or undefined when detached. */
export async function currentBranch(repoDir: string): Promise<string | undefined> {
  const name = (await simpleGit(repoDir).raw(["rev-parse", "--abbrev-ref", "HEAD"])).trim();
  return name === "HEAD" ? undefined : name;
}

/**
 * Checks a commit out into a fresh directory, never touching the user's working tree.
 * `--shared` borrows the source repository's objects, so this costs a checkout, not a copy
 * of the history.
 */
export async function checkoutWorkspace(repoDir: string, sha: string, dest: string): Promise<void> {
  await mkdir(dest, { recursive: true });
  await simpleGit().raw(["clone", "--quiet", "--shared", "--no-checkout", repoDir, dest]);
  await simpleGit(dest).raw(["-c", "advice.detachedHead=false", "checkout", "--quiet", "--detach", sha]);
}

/** `origin` URL of a repository, for the OCI source label; undefined when there is none. */
export async function originUrl(repoDir: string): Promise<string | undefined> {
  try {
    const url = (await simpleGit(repoDir).raw(["config", "--get", "remote.origin.url"])).trim();
    return url || undefined;
  } catch {
    return undefined;
  }
}
