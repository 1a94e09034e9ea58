import { join } from "node:path";
import type { RepositoryConfig } from "../../config/index.js";
import { type GitCredentials, GitMirror, type RemoteRef } from "../../engine/index.js";

/**
 * Where runs get their source: one cached bare mirror per repository (cloned once, fetched
 * afterwards) and one worktree per run. Fetches of one repository are serialised: two runs
 * starting together must not run `git fetch` on the same mirror at once.
 */
export class SourceCache {
  private readonly mirrors = new Map<string, GitMirror>();
  private readonly locks = new Map<string, Promise<unknown>>();

  constructor(private readonly dataDir: string) {}

  mirror(repo: RepositoryConfig): GitMirror {
    let mirror = this.mirrors.get(repo.name);
    if (!mirror) {
      const credentials: GitCredentials | undefined = repo.credentials
        ? { username: repo.credentials.username, password: repo.credentials.password.reveal() }
        : undefined;
      mirror = new GitMirror(join(this.dataDir, "mirrors", `${repo.name}.git`), repo.url, credentials);
      this.mirrors.set(repo.name, mirror);
    }
    return mirror;
  }

  /** Fetches the mirror (cloning it the first time); returns whether it had to clone. */
  async sync(repo: RepositoryConfig): Promise<boolean> {
    return this.serialised(repo.name, () => this.mirror(repo).sync());
  }

  /** Checks `sha` out for run `runId`, syncing first when the mirror does not have it yet. */
  async checkout(repo: RepositoryConfig, sha: string, runId: string): Promise<string> {
    const mirror = this.mirror(repo);
    if (!(await mirror.exists()) || !(await mirror.resolve(sha))) await this.sync(repo);
    const dest = join(this.dataDir, "worktrees", runId);
    await this.serialised(repo.name, () => mirror.addWorktree(sha, dest));
    return dest;
  }

  async release(repo: RepositoryConfig, dir: string): Promise<void> {
    await this.serialised(repo.name, () => this.mirror(repo).removeWorktree(dir));
  }

  /** Branches and tags of the remote, for the trigger picker and polling. */
  async remoteRefs(repo: RepositoryConfig): Promise<RemoteRef[]> {
    return this.mirror(repo).lsRemote();
  }

  private serialised<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(key) ?? Promise.resolve();
    const next = previous.then(fn, fn);
    this.locks.set(
      key,
      next.catch(() => {}),
    );
    return next;
  }
}
