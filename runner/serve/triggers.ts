import type { RepositoryConfig } from "../../config/index.js";
import { classifyRef, defaultFlow, globMatch, PIPELINE_LIMITS, parsePipeline } from "../../pipelines/index.js";
import type { CreateRunResult, RunTrigger, Store } from "../../store/index.js";
import type { SourceCache } from "./sources.js";

export interface TriggerRequest {
  /** `refs/heads/x`, `refs/tags/x`, or a short name resolved against the repository. */
  ref: string;
  sha?: string;
  trigger: RunTrigger;
  actor?: string;
  /**
   * Same key twice (a redelivered webhook, the same poll result) starts one run. A function
   * gets the resolved full ref and commit, for requests that carry no commit id.
   */
  dedupeKey?: string | ((ref: string, sha: string) => string);
}

/**
 * The dedupe key of "this ref moved to this commit", shared by forge webhooks and polling:
 * a push seen by both, a redelivery, or GitHub's `create` + `push` pair start one run.
 */
export function commitKey(ref: string, sha: string): string {
  return `commit:${ref}:${sha}`;
}

export type TriggerResult = ({ started: true } & CreateRunResult) | { started: false; reason: string };

/** Whether a repository follows a ref: branches by its glob list, tags by its tag glob. */
export function follows(repo: RepositoryConfig, ref: string): boolean {
  if (ref.startsWith("refs/tags/")) return globMatch(repo.tags, ref.slice(10));
  if (ref.startsWith("refs/heads/")) return repo.branches.some((g) => globMatch(g, ref.slice(11)));
  return false;
}

/**
 * Turns "this ref moved" (webhook, poll, person) into a queued run. The mirror is fetched so
 * the commit exists locally and the pipeline at that commit decides the flow kind (its
 * `flow:` may rename branches); a missing or broken pipeline falls back to git-flow defaults
 * and the run reports the problem.
 */
export class Triggers {
  constructor(
    private readonly store: Store,
    private readonly sources: SourceCache,
    private readonly onQueued: (run: CreateRunResult["run"]) => void,
  ) {}

  async trigger(repo: RepositoryConfig, req: TriggerRequest): Promise<TriggerResult> {
    await this.sources.sync(repo);
    const mirror = this.sources.mirror(repo);
    const ref = await this.fullRef(repo, req.ref);
    if (!ref) return { started: false, reason: `no branch or tag ${req.ref} in ${repo.name}` };
    if (req.trigger !== "manual" && req.trigger !== "api" && !follows(repo, ref)) {
      return { started: false, reason: `${ref} is not followed by ${repo.name}` };
    }
    // Peeled to the commit: for an annotated tag, hooks report the tag object's id.
    const sha = await mirror.resolve(req.sha ?? ref);
    if (!sha) return { started: false, reason: `commit ${req.sha ?? ref} not found in ${repo.name}` };
    const text = await mirror.readFile(sha, "slipway.yml");
    const parsed = text === undefined ? undefined : parsePipeline(text, "slipway.yml");
    const flow = parsed?.ok ? parsed.pipeline.flow : defaultFlow();
    const info = classifyRef(ref, flow, { isTag: ref.startsWith("refs/tags/") });
    await this.store.upsertRepository({ name: repo.name, url: repo.url });
    const created = await this.store.createRun({
      repository: repo.name,
      ref,
      sha,
      flowKind: info.kind,
      trigger: req.trigger,
      actor: req.actor,
      dedupeKey: typeof req.dedupeKey === "function" ? req.dedupeKey(ref, sha) : req.dedupeKey,
      // A file over the limit is not kept: the run fails at once with SLIPWAY_E_PIPELINE_TOO_LARGE.
      pipelineSnapshot: text !== undefined && Buffer.byteLength(text) <= PIPELINE_LIMITS.bytes ? text : undefined,
    });
    if (!created.duplicate) this.onQueued(created.run);
    return { started: true, ...created };
  }

  /** `develop` → `refs/heads/develop`; a tag name → `refs/tags/...`; full refs as they are. */
  private async fullRef(repo: RepositoryConfig, ref: string): Promise<string | undefined> {
    const refs = await this.sources.mirror(repo).localRefs();
    if (ref.startsWith("refs/")) return refs.some((r) => r.ref === ref) ? ref : undefined;
    return [`refs/heads/${ref}`, `refs/tags/${ref}`].find((full) => refs.some((r) => r.ref === full));
  }
}
