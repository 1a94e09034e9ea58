/** Public surface of `deploy/`: long-running environments (planners, executor, records). */

export { hookColour } from "./blue-green-hooks.js";
export {
  type BlueGreenPlan,
  type BlueGreenState,
  type BlueGreenStep,
  type BlueGreenTarget,
  COLOURS,
  type Colour,
  otherColour,
  planBlueGreen,
} from "./blue-green-plan.js";
export { EnvironmentCompose, type EnvironmentTarget } from "./compose-target.js";
export { awaitDeployTurn, type DeployTurn, QUEUE_LEASE_MS, QUEUE_POLL_MS, type TurnOptions } from "./deploy-turn.js";
export { beginDrain, type Drain, drainAndRemove } from "./drain.js";
export {
  type ContainerStatus,
  readEnvironmentStatus,
  type ServiceStatus,
  versionOfHash,
} from "./environment-status.js";
export { DEPLOY_ERROR_CODES, DeployError, type DeployErrorCode, isDeployError } from "./errors.js";
export {
  confirmDeployment,
  deployVersion,
  type ExecutorOptions,
  recoverInterrupted,
  rollbackDestination,
  rollbackEnvironment,
} from "./executor.js";
export { type ContainerVerdict, watchContainers } from "./health.js";
export { Keeper, keptOf } from "./keep.js";
export { dependencyOrder } from "./order.js";
export {
  exceedsFailureRatio,
  failureDecision,
  type Phase,
  type Plan,
  planDeployment,
  type ReplicaState,
  rollingSteps,
  type StackState,
  type Step,
  serviceChanged,
} from "./planner.js";
export { ColourProxy, colourAlias, type ProxyInfo, type ProxyTarget, proxyNetworkName } from "./proxy.js";
export { activeInMap, PROXY_CONTAINER_PORT, proxyImageRef, upServers } from "./proxy-image.js";
export { type RolloutResult, refuseStopFirst, runRollout } from "./rollout.js";
export {
  fixedPorts,
  type HealthSettings,
  progressDeadlineSeconds,
  readServiceSpecs,
  type ServiceSpec,
} from "./service-spec.js";
export { resolveServiceSettings, type ServiceDeploySettings, SWARM_DEFAULTS, type UpdateSettings } from "./settings.js";
export { readStackState } from "./stack-state.js";
export { keepVersionsOf, refuseExpiredRollback, rollbackableVersions } from "./two-phase.js";
