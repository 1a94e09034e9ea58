/** Public surface of `pipelines/`: parse and validate `slipway.yml`, git-flow refs, versions, plans. */
// The duration grammar lives in core/ (shared with the configuration); re-exported for callers of pipelines.
export { type DurationResult, formatDuration, parseDuration } from "../core/index.js";
export { describeWindow, isWindowOpen, localTime, nextWindowOpening } from "./deploy-window.js";
export { DEFAULT_KEEP_VERSIONS } from "./environments.js";
export {
  classifyRef,
  computeVersion,
  defaultFlow,
  globMatch,
  type RefInfo,
  sanitizeTag,
  type VersionInfo,
} from "./gitflow.js";
export { PIPELINE_LIMITS } from "./limits.js";
export { loadPipelineFile, parsePipeline } from "./parse.js";
export {
  DEFAULT_DEPLOY_WHEN,
  DEFAULT_PUSH_WHEN,
  effectiveWhen,
  environmentWhen,
  expandTagTemplate,
  type PlannedStage,
  planStages,
  resolvePushTags,
  TAG_PLACEHOLDERS,
  type TagContext,
} from "./plan.js";
export {
  closest,
  didYouMean,
  formatProblem,
  hasErrors,
  PIPELINE_ERROR_CODES,
  type PipelineErrorCode,
} from "./problems.js";
export type * from "./types.js";
export { FLOW_KINDS } from "./types.js";
