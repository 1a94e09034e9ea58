/**
 * Bounds on what a pipeline file may ask for. A pushed commit is untrusted input: without
 * these, one `slipway.yml` could make the daemon hold megabytes per run in memory and in every
 * API answer, or start hundreds of compose stacks. Each is far above what a real pipeline needs.
 */
export const PIPELINE_LIMITS = {
  /** `slipway.yml` size in bytes (1 MiB), checked before the YAML is parsed. */
  bytes: 1024 * 1024,
  /** Stages in one pipeline. */
  stages: 100,
  /** Parallel test stacks (`parallel:` or the number of `shards:`) of one compose stage. */
  stacks: 32,
  /** Artifact paths of one build stage. */
  artifacts: 100,
} as const;
