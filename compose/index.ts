export { abortable } from "./abort.js";
export { type ComposeCli, type ComposeExecResult, detectCompose, runCompose } from "./cli.js";
export {
  buildInvocation,
  type ComposeCommand,
  type ComposeFlavor,
  type ComposeInvocation,
  type ComposeTarget,
  invocationArgv,
  sanitizeProjectName,
  stackProjectName,
} from "./cli-args.js";
export { type ComposePolicyOptions, checkComposePolicy } from "./compose-policy.js";
export {
  COMPOSE_ERROR_CODES,
  ComposeError,
  type ComposeErrorCode,
  type ComposePosition,
  isComposeError,
} from "./errors.js";
export {
  type JUnitCounts,
  type JUnitFailure,
  type JUnitSummary,
  parseJUnit,
  parseJUnitReport,
  summariseJUnit,
} from "./junit.js";
export { type CollectedJUnit, collectJUnit, copyRoot } from "./junit-collect.js";
export { buildOverride, mergeLabels, type StackFile, type StackFileOptions } from "./override.js";
export { LOOPBACK, type PortRewrite, rewritePort, splitPortSpec } from "./ports.js";
export { parseWaitChecks, probeScript, runProbes, type WaitCheck } from "./probes.js";
export { COMPOSE_LABEL, projectContainers, waitForServices } from "./readiness.js";
export { runShard, type ShardResult } from "./shard.js";
export { EphemeralStack, STACK_LABEL, type StackOptions } from "./stack.js";
export { type IntegrationStageOptions, type IntegrationStageResult, runIntegrationStage, shardRuns } from "./stage.js";
export { bindSource, type TrustFinding, untrustedFindings } from "./trust-rules.js";
