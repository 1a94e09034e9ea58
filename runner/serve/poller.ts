import type { Config, RepositoryConfig } from "../../config/index.js";
import type { Store } from "../../store/index.js";
import type { SourceCache } from "./sources.js";
import { commitKey, follows, type Triggers } from "./triggers.js";

export interface PollResult {
  started: string[];
  skipped: boolean;
  error?: unknown;
}

/**
 * Polling with `git ls-remote`: a followed branch whose commit moved, or a new tag, queues a
 * run with the dedupe key `commit:<ref>:<sha>` (the one forge webhooks use too), so one commit
 * of one ref never runs twice from polling, across restarts, or from a webhook and a poll. A repository that has never run takes its first listing as
 * the baseline instead of building every existing branch. Deleted refs are simply absent.
 */
export class Poller {
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly seen = new Map<string, Map<string, string>>();
  private readonly busy = new Set<string>();

  constructor(
    private readonly config: Config,
    private readonly store: Store,
    private readonly sources: SourceCache,
    private readonly triggers: Triggers,
    private readonly onError: (repo: string, err: unknown) => void = () => {},
  ) {}

  start(): void {
    for (const repo of this.config.repositories) {
      if (repo.pollSeconds === false) continue;
      const timer = setInterval(() => void this.pollOnce(repo), repo.pollSeconds * 1000);
      timer.unref();
      this.timers.push(timer);
      void this.pollOnce(repo);
    }
  }

  stop(): void {
    for (const t of this.timers.splice(0)) clearInterval(t);
  }

  /**
   * One poll of one repository: the refs that queued a run, or the error that stopped the poll
   * (also handed to `onError`, the daemon's log). `skipped` when a poll of the repository is
   * already in flight: polls of one repository never overlap.
   */
  async pollOnce(repo: RepositoryConfig): Promise<PollResult> {
    if (this.busy.has(repo.name)) return { started: [], skipped: true };
    this.busy.add(repo.name);
    try {
      const remote = (await this.sources.remoteRefs(repo)).filter((r) => follows(repo, r.ref));
      let seen = this.seen.get(repo.name);
      if (!seen) {
        seen = await this.baseline(repo, remote);
        this.seen.set(repo.name, seen);
      }
      const started: string[] = [];
      for (const { ref, sha } of remote) {
        if (seen.get(ref) === sha) continue;
        const result = await this.triggers.trigger(repo, {
          ref,
          sha,
          trigger: "poll",
          dedupeKey: commitKey(ref, sha),
        });
        seen.set(ref, sha);
        if (result.started && !result.duplicate) started.push(ref);
      }
      return { started, skipped: false };
    } catch (err) {
      this.onError(repo.name, err);
      return { started: [], skipped: false, error: err };
    } finally {
      this.busy.delete(repo.name);
    }
  }

  /** What counts as already built: the newest run's commit per ref, or everything for a new repository. */
  private async baseline(repo: RepositoryConfig, remote: { ref: string; sha: string }[]): Promise<Map<string, string>> {
    const seen = new Map<string, string>();
    const known = await this.store.getRepository(repo.name);
    if (!known || known.lastRunNumber === 0) {
      for (const r of remote) seen.set(r.ref, r.sha);
      return seen;
    }
    for (const r of remote) {
      const { runs } = await this.store.listRuns({ repository: repo.name, ref: r.ref, limit: 1 });
      if (runs[0]) seen.set(r.ref, runs[0].sha);
    }
    return seen;
  }
}
