import { computeVersion, type RefInfo, sanitizeTag } from "./gitflow.js";
import type { EnvironmentDef, FlowKind, Pipeline, PushStage, Stage } from "./types.js";

/** One stage of the pipeline with the decision whether it runs for a given ref. */
export interface PlannedStage {
  stage: Stage;
  skipped: boolean;
  /** Why the stage is skipped; absent for stages that run. */
  reason?: string;
}

/** Pushing is for refs whose images someone consumes; features and main stay local (DESIGN.md). */
export const DEFAULT_PUSH_WHEN: readonly FlowKind[] = ["develop", "release", "hotfix", "tag"];
export const DEFAULT_DEPLOY_WHEN: readonly FlowKind[] = ["develop"];

/**
 * The flow kinds a stage runs for once defaults are applied: its own `when`, else for push
 * stages DEFAULT_PUSH_WHEN, for deploy stages the environment's `when` or DEFAULT_DEPLOY_WHEN,
 * and otherwise undefined, meaning every kind.
 */
export function effectiveWhen(stage: Stage, pipeline: Pipeline): readonly FlowKind[] | undefined {
  if (stage.when) return stage.when;
  if (stage.type === "push") return DEFAULT_PUSH_WHEN;
  if (stage.type === "deploy") return environmentWhen(pipeline.environments[stage.environment]);
  return undefined;
}

/** The flow kinds an environment takes versions of: its `when`, else DEFAULT_DEPLOY_WHEN (stages and explicit deploys alike). */
export function environmentWhen(env: EnvironmentDef | undefined): readonly FlowKind[] {
  return env?.when ?? DEFAULT_DEPLOY_WHEN;
}

/** Every stage in file order, each marked as running or skipped for the ref `info`. */
export function planStages(pipeline: Pipeline, info: RefInfo): PlannedStage[] {
  return pipeline.stages.map((stage) => {
    const when = effectiveWhen(stage, pipeline);
    if (when === undefined || when.includes(info.kind)) return { stage, skipped: false };
    const source = stage.when ? "when" : "default when";
    const reason = `${info.name} is a ${info.kind} ref and the stage's ${source} is [${when.join(", ")}]`;
    return { stage, skipped: true, reason };
  });
}

/** The words allowed inside `{...}` in a push stage's tag templates. */
export const TAG_PLACEHOLDERS = ["version", "branch", "sha", "run"] as const;

export interface TagContext {
  version: string;
  /** Branch or tag short name, sanitised when substituted. */
  branch: string;
  sha: string;
  run: number | string;
}

/**
 * Expands `{version}`, `{branch}`, `{sha}` and `{run}` in a tag template and sanitises the
 * result into a valid Docker tag. Unknown placeholders are rejected when the pipeline is
 * parsed, so meeting one here is a programming error and throws.
 */
export function expandTagTemplate(template: string, ctx: TagContext): string {
  const expanded = template.replace(/\{([^}]*)\}/g, (_, word: string) => {
    switch (word) {
      case "version":
        return ctx.version;
      case "branch":
        return sanitizeTag(ctx.branch);
      case "sha":
        return ctx.sha;
      case "run":
        return String(ctx.run);
      default:
        throw new Error(`unknown tag placeholder {${word}} in "${template}"`);
    }
  });
  return sanitizeTag(expanded);
}

/**
 * The tags a push stage pushes for a run: its templates expanded, or, without `tags:`, the
 * tags `computeVersion` gives the ref. Duplicates are dropped (`{version}` and `{branch}` can
 * coincide).
 */
export function resolvePushTags(stage: PushStage, info: RefInfo, run: number, sha: string): string[] {
  const computed = computeVersion(info, run);
  if (stage.tags.length === 0) return computed.tags;
  const ctx = { version: computed.version, branch: info.name, sha, run };
  return [...new Set(stage.tags.map((t) => expandTagTemplate(t, ctx)))];
}
