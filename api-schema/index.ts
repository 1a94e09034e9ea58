/** Public surface of `api-schema/`: the HTTP API's JSON schemas and the types derived from them. */
export type { FromSchema } from "./from-schema.js";
export {
  APPROVAL_STATE_VALUES,
  ApiToken,
  Approval,
  Artifact,
  AuditEvent,
  DELIVERY_STATUS_VALUES,
  DEPLOYMENT_STATUS_VALUES,
  DEPLOYMENT_TRIGGER_VALUES,
  Delivery,
  DeliveryAttempt,
  Deployment,
  DeploymentBatch,
  DeploymentDetail,
  EnvironmentSummary,
  ErrorBody,
  FLOW_KIND_VALUES,
  GitRef,
  NewApiToken,
  Repository,
  RUN_STATUS_VALUES,
  Run,
  RunEvent,
  ServiceStatus,
  STAGE_STATUS_VALUES,
  Stage,
  TestReport,
  TRIGGER_VALUES,
  Webhook,
} from "./models.js";
export { ROUTES, type RouteName } from "./routes.js";
export type * from "./types.js";
