/** Public surface of `deploy/`: long-running environments (planners, executor, records). */
export { DEPLOY_ERROR_CODES, DeployError, type DeployErrorCode, isDeployError } from "./errors.js";
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
export {
  fixedPorts,
  type HealthSettings,
  progressDeadlineSeconds,
  readServiceSpecs,
  type ServiceSpec,
} from "./service-spec.js";
export { resolveServiceSettings, type ServiceDeploySettings, SWARM_DEFAULTS, type UpdateSettings } from "./settings.js";
