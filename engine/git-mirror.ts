import { access, mkdir, rm } from "node:fs/promises";
import { dirname } from "node:path";
import { type SimpleGit, simpleGit } from "simple-git";

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
 * no copy of the history). Credentials for http(s) go in a per-command header, never into
 * the URL or the mirror's config, so they are not written to disk.
 */
export class GitMirror {
  constructor(
    readonly dir: string,
    readonly url: string,
    private readonly credentials?: GitCredentials,
  ) {}

  private git(cwd?: string): SimpleGit {
    const config: string[] = [];
    if (this.credentials && /^https?:\/\//.test(this.url)) {
      const basic = Buffer.from(`${this.credentials.username}:${this.credentials.password}`).toString("base64");
      config.push(`http.extraHeader=Authorization: Basic ${basic}`);
    }
    return simpleGit({ baseDir: cwd, config });
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
      await this.git(this.dir).raw(["fetch", "--prune", "--prune-tags", "--quiet", "origin", "+refs/*:refs/*"]);
      return false;
    }
    await mkdir(dirname(this.dir), { recursive: true });
    await this.git().raw(["clone", "--mirror", "--quiet", this.url, this.dir]);
    return true;
  }

  /** Branches and tags of the remote, without fetching (what polling compares). */
  async lsRemote(): Promise<RemoteRef[]> {
    const out = await this.git().raw(["ls-remote", "--heads", "--tags", this.url]);
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
    const out = await this.git(this.dir).raw([
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
        (await this.git(this.dir).raw(["rev-parse", "--verify", "--quiet", `${refOrSha}^{commit}`])).trim() || undefined
      );
    } catch {
      return undefined;
    }
  }

  /** A file of a commit, e.g. the pipeline file snapshot; undefined when absent. */
  async readFile(sha: string, path: string): Promise<string | undefined> {
    try {
      return await this.git(this.dir).raw(["show", `${sha}:${path}`]);
    } catch {
      return undefined;
    }
  }

  async addWorktree(sha: string, dest: string): Promise<void> {
    await mkdir(dirname(dest), { recursive: true });
    await this.git(this.dir).raw(["worktree", "add", "--detach", "--force", dest, sha]);
  }

  async removeWorktree(dest: string): Promise<void> {
    await this.git(this.dir)
      .raw(["worktree", "remove", "--force", dest])
      .catch(() => {});
    await rm(dest, { recursive: true, force: true });
    await this.git(this.dir)
      .raw(["worktree", "prune"])
      .catch(() => {});
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
