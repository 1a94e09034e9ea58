import { access, mkdir, rm } from "node:fs/promises";
import { dirname } from "node:path";
import type { SimpleGit, SimpleGitFactory } from "simple-git";

// simple-git is loaded on first use (~25 ms): every user of engine/ imports this file, and
// only the daemon's mirrors use it (`slipway run` calls git directly, engine/git.ts).
let simpleGit: SimpleGitFactory | undefined;

export interface RemoteRef {
  /** Full name: `refs/heads/develop`, `refs/tags/v1.0`. */
  ref: string;
  sha: string;
}

export interface GitCredentials {
  username: string;
  password: string;
}

/**
 * A bare mirror of one repository, cached under the data dir: the first run clones it, later
 * runs only fetch, and each run checks its commit out as a worktree of the mirror (no clone,
 * no copy of the history). Credentials for http(s) reach git through a credential helper
 * that reads them from the environment of the git process: never on a command line (where
 * `ps` shows them to every user), never in the URL or the mirror's config (so never on disk).
 */
export class GitMirror {
  constructor(
    readonly dir: string,
    readonly url: string,
    private readonly credentials?: GitCredentials,
  ) {}

  private async git(cwd?: string): Promise<SimpleGit> {
    simpleGit ??= (await import("simple-git")).simpleGit;
    if (!this.credentials || !isHttp(this.url)) return simpleGit({ baseDir: cwd });
    // simple-git refuses an explicit environment that sets a credential helper (ours) or that
    // carries the operator's own EDITOR, PAGER, ssh or askpass settings (inherited as before);
    // its argv checks stay on: the arguments are Slipway's own, refs only as positionals.
    return simpleGit({ baseDir: cwd, unsafe: UNSAFE_ENV_ONLY }).env(gitEnvironment(this.url, this.credentials));
  }

  async exists(): Promise<boolean> {
    return access(this.dir).then(
      () => true,
      () => false,
    );
  }

  /** Clones the mirror the first time, fetches (pruning deleted refs) afterwards. Returns whether it cloned. */
  async sync(): Promise<boolean> {
    if (await this.exists()) {
      await (await this.git(this.dir)).raw(["fetch", "--prune", "--prune-tags", "--quiet", "origin", "+refs/*:refs/*"]);
      return false;
    }
    await mkdir(dirname(this.dir), { recursive: true });
    await (await this.git()).raw(["clone", "--mirror", "--quiet", this.url, this.dir]);
    return true;
  }

  /** Branches and tags of the remote, without fetching (what polling compares). */
  async lsRemote(): Promise<RemoteRef[]> {
    const out = await (await this.git()).raw(["ls-remote", "--heads", "--tags", this.url]);
    // An annotated tag is listed twice: the tag object, then `name^{}` with its commit.
    const refs = new Map<string, string>();
    for (const { ref, sha } of parseRefLines(out)) {
      if (ref.endsWith("^{}")) refs.set(ref.slice(0, -3), sha);
      else if (!refs.has(ref)) refs.set(ref, sha);
    }
    return [...refs].map(([ref, sha]) => ({ ref, sha }));
  }

  /** Branches and tags of the local mirror, tags peeled to their commits. */
  async localRefs(): Promise<RemoteRef[]> {
    const out = await (await this.git(this.dir)).raw([
      "for-each-ref",
      "--format=%(if)%(*objectname)%(then)%(*objectname)%(else)%(objectname)%(end) %(refname)",
      "refs/heads",
      "refs/tags",
    ]);
    return parseRefLines(out);
  }

  /** The commit a ref (or sha) names in the mirror, or undefined. */
  async resolve(refOrSha: string): Promise<string | undefined> {
    try {
      return (
        (await (await this.git(this.dir)).raw(["rev-parse", "--verify", "--quiet", `${refOrSha}^{commit}`])).trim() ||
        undefined
      );
    } catch {
      return undefined;
    }
  }

  /** A file of a commit, e.g. the pipeline file snapshot; undefined when absent. */
  async readFile(sha: string, path: string): Promise<string | undefined> {
    try {
      return await (await this.git(this.dir)).raw(["show", `${sha}:${path}`]);
    } catch {
      return undefined;
    }
  }

  async addWorktree(sha: string, dest: string): Promise<void> {
    await mkdir(dirname(dest), { recursive: true });
    await (await this.git(this.dir)).raw(["worktree", "add", "--detach", "--force", dest, sha]);
  }

  async removeWorktree(dest: string): Promise<void> {
    await (await this.git(this.dir)).raw(["worktree", "remove", "--force", dest]).catch(() => {});
    await rm(dest, { recursive: true, force: true });
    await (await this.git(this.dir)).raw(["worktree", "prune"]).catch(() => {});
  }
}

function parseRefLines(out: string): RemoteRef[] {
  return out
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const [sha = "", ref = ""] = line.split(/\s+/);
      return { sha, ref };
    });
}

/**
 * The environment of every git process of a mirror. Never prompts (a daemon has no
 * terminal). With http(s) credentials, git's configuration gets, through GIT_CONFIG_* (a
 * command-line-scope config that is not on the command line), an empty `credential.helper`
 * (dropping any helper of the machine's config) and then a shell helper that prints the
 * values of two environment variables: the helper's own argv holds only their names.
 */
const UNSAFE_ENV_ONLY = {
  allowUnsafeCredentialHelper: true,
  allowUnsafeConfigEnvCount: true,
  allowUnsafeEditor: true,
  allowUnsafePager: true,
  allowUnsafeAskPass: true,
  allowUnsafeSshCommand: true,
  allowUnsafeGitProxy: true,
};

function isHttp(url: string): boolean {
  return /^https?:\/\//i.test(url);
}

export function gitEnvironment(url: string, credentials?: GitCredentials): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined) env[key] = value;
  env.GIT_TERMINAL_PROMPT = "0";
  if (!credentials || !isHttp(url)) return env;
  const base = Number(env.GIT_CONFIG_COUNT ?? 0) || 0;
  env[`GIT_CONFIG_KEY_${base}`] = "credential.helper";
  env[`GIT_CONFIG_VALUE_${base}`] = "";
  env[`GIT_CONFIG_KEY_${base + 1}`] = "credential.helper";
  env[`GIT_CONFIG_VALUE_${base + 1}`] =
    '!f() { test "$1" = get || exit 0; echo "username=$SLIPWAY_GIT_USERNAME"; echo "password=$SLIPWAY_GIT_PASSWORD"; }; f';
  env.GIT_CONFIG_COUNT = String(base + 2);
  env.SLIPWAY_GIT_USERNAME = credentials.username;
  env.SLIPWAY_GIT_PASSWORD = credentials.password;
  return env;
}
