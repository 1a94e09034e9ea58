import type { FromSchema } from "./from-schema.js";
import type * as M from "./models.js";
import type { ROUTES } from "./routes.js";

/** TypeScript types of the API's bodies, derived from the schemas (one source for both). */
export type RunJson = FromSchema<typeof M.Run>;
export type StageJson = FromSchema<typeof M.Stage>;
export type ArtifactJson = FromSchema<typeof M.Artifact>;
export type TestReportJson = FromSchema<typeof M.TestReport>;
export type ApprovalJson = FromSchema<typeof M.Approval>;
export type AuditEventJson = FromSchema<typeof M.AuditEvent>;
export type ApiTokenJson = FromSchema<typeof M.ApiToken>;
export type NewApiTokenJson = FromSchema<typeof M.NewApiToken>;
export type RepositoryJson = FromSchema<typeof M.Repository>;
export type RunEventJson = FromSchema<typeof M.RunEvent>;
export type DeploymentEventJson = FromSchema<typeof M.DeploymentEvent>;
export type DeploymentBatchEventJson = FromSchema<typeof M.DeploymentBatchEvent>;
export type EnvironmentLockEventJson = FromSchema<typeof M.EnvironmentLockEvent>;
export type DeliveryJson = FromSchema<typeof M.Delivery>;
export type DeliveryAttemptJson = FromSchema<typeof M.DeliveryAttempt>;
export type WebhookJson = FromSchema<typeof M.Webhook>;
export type DeploymentJson = FromSchema<typeof M.Deployment>;
export type DeploymentBatchJson = FromSchema<typeof M.DeploymentBatch>;
export type DeploymentDetailJson = FromSchema<typeof M.DeploymentDetail>;
export type ServiceStatusJson = FromSchema<typeof M.ServiceStatus>;
export type ErrorJson = FromSchema<typeof M.ErrorBody>;

type Routes = typeof ROUTES;
/** The success body of a route (its 200 or 201 or 202 answer). */
export type ReplyOf<R extends keyof Routes> = Routes[R]["response"] extends infer Res
  ? Res extends { 200: infer S }
    ? FromSchema<S>
    : Res extends { 201: infer S }
      ? FromSchema<S>
      : Res extends { 202: infer S }
        ? FromSchema<S>
        : never
  : never;
/** The request body of a route. */
export type BodyOf<R extends keyof Routes> = Routes[R] extends { body: infer B } ? FromSchema<B> : never;
