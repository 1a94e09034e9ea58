/**
 * JSON schemas of what the API sends and takes, as `const` objects: fastify validates and
 * serialises with them, @fastify/swagger publishes them at `/api/openapi.json`, and the
 * dashboard's client derives its TypeScript types from them (`FromSchema`). This folder
 * imports nothing, so the browser bundle can include it; a unit test keeps the enums here in
 * step with the store's and the pipelines' own lists.
 */

const str = { type: "string" } as const;
const int = { type: "integer" } as const;
const nullableStr = { type: ["string", "null"] } as const;
const nullableInt = { type: ["integer", "null"] } as const;

export const RUN_STATUS_VALUES = ["queued", "running", "waiting", "success", "failed", "cancelled"] as const;
export const STAGE_STATUS_VALUES = [
  "pending",
  "running",
  "waiting",
  "success",
  "failed",
  "skipped",
  "cancelled",
] as const;
export const TRIGGER_VALUES = ["push", "poll", "manual", "retry", "api"] as const;
export const FLOW_KIND_VALUES = ["develop", "main", "feature", "release", "hotfix", "tag", "other"] as const;

export const ErrorBody = {
  type: "object",
  // `code` and `error` carry the same SLIPWAY code (docs/api.md).
  properties: { error: str, code: str, message: str },
  required: ["error", "code", "message"],
} as const;

export const Run = {
  type: "object",
  properties: {
    id: str,
    repository: str,
    number: int,
    ref: str,
    sha: str,
    flowKind: { type: "string", enum: FLOW_KIND_VALUES },
    version: nullableStr,
    trigger: { type: "string", enum: TRIGGER_VALUES },
    actor: nullableStr,
    status: { type: "string", enum: RUN_STATUS_VALUES },
    owner: nullableStr,
    dedupeKey: nullableStr,
    retryOf: nullableStr,
    retryFromStage: nullableStr,
    resumeFromStage: nullableStr,
    error: nullableStr,
    pipelineSnapshot: nullableStr,
    createdAt: int,
    startedAt: nullableInt,
    finishedAt: nullableInt,
  },
  required: [
    "id",
    "repository",
    "number",
    "ref",
    "sha",
    "flowKind",
    "version",
    "trigger",
    "actor",
    "status",
    "owner",
    "dedupeKey",
    "retryOf",
    "retryFromStage",
    "resumeFromStage",
    "error",
    "pipelineSnapshot",
    "createdAt",
    "startedAt",
    "finishedAt",
  ],
} as const;

export const Stage = {
  type: "object",
  properties: {
    runId: str,
    name: str,
    type: str,
    position: int,
    status: { type: "string", enum: STAGE_STATUS_VALUES },
    startedAt: nullableInt,
    finishedAt: nullableInt,
    durationMs: nullableInt,
    detail: nullableStr,
  },
  required: ["runId", "name", "type", "position", "status", "startedAt", "finishedAt", "durationMs", "detail"],
} as const;

export const Artifact = {
  type: "object",
  properties: { id: int, runId: str, stage: str, path: str, size: int, sha256: str, createdAt: int },
  required: ["id", "runId", "stage", "path", "size", "sha256", "createdAt"],
} as const;

/** Counts and failing test names of a stage's JUnit reports. */
export const TestReport = {
  type: "object",
  properties: {
    stage: str,
    tests: int,
    passed: int,
    failed: int,
    errors: int,
    skipped: int,
    failures: { type: "array", items: { type: "object", properties: { name: str, message: str }, required: ["name"] } },
  },
  required: ["stage", "tests", "passed", "failed", "errors", "skipped", "failures"],
} as const;

export const APPROVAL_STATE_VALUES = ["not_required", "pending", "approved", "rejected", "cancelled"] as const;

/** The gate before one deploy stage of a run: approval, deploy-window wait, who decided and when. */
export const Approval = {
  type: "object",
  properties: {
    runId: str,
    stage: str,
    repository: str,
    environment: str,
    state: { type: "string", enum: APPROVAL_STATE_VALUES },
    waitingFor: { type: ["string", "null"], enum: ["approval", "window", null] },
    reason: nullableStr,
    requestedAt: int,
    expiresAt: nullableInt,
    windowOpensAt: nullableInt,
    decidedBy: nullableStr,
    decidedAt: nullableInt,
    comment: nullableStr,
    windowOverrideBy: nullableStr,
    windowOverrideAt: nullableInt,
  },
  required: [
    "runId",
    "stage",
    "repository",
    "environment",
    "state",
    "waitingFor",
    "reason",
    "requestedAt",
    "expiresAt",
    "windowOpensAt",
    "decidedBy",
    "decidedAt",
    "comment",
    "windowOverrideBy",
    "windowOverrideAt",
  ],
} as const;

export const AuditEvent = {
  type: "object",
  properties: {
    id: int,
    createdAt: int,
    actor: str,
    action: str,
    target: str,
    detail: { type: ["object", "null"], additionalProperties: true },
  },
  required: ["id", "createdAt", "actor", "action", "target", "detail"],
} as const;

export const ApiToken = {
  type: "object",
  properties: { id: str, name: str, createdAt: int, revokedAt: nullableInt },
  required: ["id", "name", "createdAt", "revokedAt"],
} as const;

export const NewApiToken = {
  type: "object",
  properties: { id: str, name: str, token: str },
  required: ["id", "name", "token"],
} as const;

export const Repository = {
  type: "object",
  properties: {
    name: str,
    url: str,
    poll: { anyOf: [int, { type: "boolean", const: false }] },
    branches: { type: "array", items: str },
    tags: str,
  },
  required: ["name", "url", "poll", "branches", "tags"],
} as const;

export const GitRef = {
  type: "object",
  properties: { name: str, ref: str, sha: str },
  required: ["name", "ref", "sha"],
} as const;

export const DELIVERY_STATUS_VALUES = ["pending", "delivered", "failed"] as const;

/** An outbound webhook delivery (docs/notifications.md); its body only in the detail answer. */
export const Delivery = {
  type: "object",
  properties: {
    id: str,
    eventId: str,
    webhook: str,
    event: str,
    repository: nullableStr,
    runId: nullableStr,
    deploymentId: nullableStr,
    owner: str,
    format: str,
    status: { type: "string", enum: DELIVERY_STATUS_VALUES },
    attempts: int,
    maxAttempts: int,
    nextAttemptAt: nullableInt,
    lastStatusCode: nullableInt,
    lastError: nullableStr,
    redeliveryOf: nullableStr,
    createdAt: int,
    updatedAt: int,
    finishedAt: nullableInt,
  },
  required: [
    "id",
    "eventId",
    "webhook",
    "event",
    "repository",
    "runId",
    "deploymentId",
    "owner",
    "format",
    "status",
    "attempts",
    "maxAttempts",
    "nextAttemptAt",
    "lastStatusCode",
    "lastError",
    "redeliveryOf",
    "createdAt",
    "updatedAt",
    "finishedAt",
  ],
} as const;

/** One HTTP attempt of a delivery. */
export const DeliveryAttempt = {
  type: "object",
  properties: { seq: int, startedAt: int, durationMs: int, statusCode: nullableInt, error: nullableStr },
  required: ["seq", "startedAt", "durationMs", "statusCode", "error"],
} as const;

/** A configured webhook as the API shows it: never its URL (a chat URL is a credential) nor its secret. */
export const Webhook = {
  type: "object",
  properties: {
    name: str,
    repository: nullableStr,
    format: str,
    events: { type: "array", items: str },
    signed: { type: "boolean" },
    timeoutSeconds: { type: "number" },
    maxAttempts: int,
    backoffSeconds: { type: "number" },
  },
  required: ["name", "repository", "format", "events", "signed", "timeoutSeconds", "maxAttempts", "backoffSeconds"],
} as const;

/** One message of `GET /api/events`: a run's row after a change, with its stages. */
export const RunEvent = {
  type: "object",
  properties: { run: Run, stages: { type: "array", items: Stage } },
  required: ["run", "stages"],
} as const;

export const DEPLOYMENT_STATUS_VALUES = [
  "running",
  "paused",
  "awaiting_confirm",
  "success",
  "failed",
  "rolled_back",
  "cancelled",
  "interrupted",
] as const;
export const DEPLOYMENT_TRIGGER_VALUES = ["stage", "cli", "api", "rollback", "recovery"] as const;

/** One batch of a deployment: what it added and removed, each new container's health verdict, timings. */
export const DeploymentBatch = {
  type: "object",
  properties: {
    deploymentId: str,
    seq: int,
    phase: { type: "string", enum: ["update", "rollback"] },
    service: str,
    batch: int,
    batches: int,
    added: { type: "array", items: str },
    removed: { type: "array", items: str },
    status: { type: "string", enum: ["success", "failed"] },
    health: {
      type: "array",
      items: { type: "object", properties: { id: str, state: str, detail: str }, additionalProperties: true },
    },
    startedAt: int,
    finishedAt: int,
  },
  required: [
    "deploymentId",
    "seq",
    "phase",
    "service",
    "batch",
    "batches",
    "added",
    "removed",
    "status",
    "health",
    "startedAt",
    "finishedAt",
  ],
} as const;

/** A deployment of an environment (the store's row without its internal `spec`). */
export const Deployment = {
  type: "object",
  properties: {
    id: str,
    repository: str,
    environment: str,
    version: str,
    previousVersion: nullableStr,
    strategy: str,
    trigger: { type: "string", enum: DEPLOYMENT_TRIGGER_VALUES },
    actor: nullableStr,
    runId: nullableStr,
    rollbackOf: nullableStr,
    status: { type: "string", enum: DEPLOYMENT_STATUS_VALUES },
    outcome: nullableStr,
    rollbackReason: nullableStr,
    createdAt: int,
    updatedAt: int,
    finishedAt: nullableInt,
  },
  required: [
    "id",
    "repository",
    "environment",
    "version",
    "previousVersion",
    "strategy",
    "trigger",
    "actor",
    "runId",
    "rollbackOf",
    "status",
    "outcome",
    "rollbackReason",
    "createdAt",
    "updatedAt",
    "finishedAt",
  ],
} as const;

/** A deployment with its batches in order (history, and one deployment's detail). */
export const DeploymentDetail = {
  type: "object",
  properties: { ...Deployment.properties, batches: { type: "array", items: DeploymentBatch } },
  required: [...Deployment.required, "batches"],
} as const;

export const ServiceStatus = {
  type: "object",
  properties: {
    service: str,
    version: nullableStr,
    running: int,
    ready: int,
    containers: {
      type: "array",
      items: {
        type: "object",
        properties: {
          id: str,
          state: str,
          health: { type: "string", enum: ["starting", "healthy", "unhealthy", "none"] },
          image: nullableStr,
          version: nullableStr,
        },
        required: ["id", "state", "health", "image", "version"],
      },
    },
  },
  required: ["service", "version", "running", "ready", "containers"],
} as const;

/** Who deploys an environment now (the store's lease), or null when nobody does. */
const EnvironmentLock = {
  anyOf: [
    {
      type: "object",
      properties: { holder: str, deploymentId: nullableStr, acquiredAt: int, expiresAt: int },
      required: ["holder", "deploymentId", "acquiredAt", "expiresAt"],
    },
    { type: "null" },
  ],
} as const;

/** An environment: what the store recorded last, and what the engine runs now. */
export const EnvironmentSummary = {
  type: "object",
  properties: {
    repository: str,
    environment: str,
    current: { anyOf: [Deployment, { type: "null" }] },
    lastGood: nullableStr,
    lock: EnvironmentLock,
    /** `confirm` and `rollback` when the newest deployment is paused or interrupted. */
    actions: { type: "array", items: { type: "string", enum: ["confirm", "rollback"] } },
    /**
     * The versions `rollback ENV VERSION` takes, newest first: the last `keep_versions` distinct
     * versions deployed successfully before the serving one (older ones are refused).
     */
    rollbackVersions: { type: "array", items: str },
  },
  required: ["repository", "environment", "current", "lastGood", "lock", "actions", "rollbackVersions"],
} as const;

/*
 * Deployment messages of `GET /api/events`, sent as the daemon's deploy executor records them
 * (deploy stages, `slipway deploy` / `confirm` / `rollback`, the delayed blue-green scale-down,
 * restart recovery). Deployments another runner sharing the store makes are not on this
 * daemon's stream.
 */

/** `event: deployment`: a deployment's row as just recorded: started (`running`), paused, ended, its outcome changed. */
export const DeploymentEvent = {
  type: "object",
  properties: { deployment: Deployment },
  required: ["deployment"],
} as const;

/** `event: batch`: one batch of a deployment, as just recorded (a health check of a blue-green colour, a switch). */
export const DeploymentBatchEvent = {
  type: "object",
  properties: { repository: str, environment: str, batch: DeploymentBatch },
  required: ["repository", "environment", "batch"],
} as const;

/** `event: lock`: an environment's lock was taken (`lock` is the new lease) or freed (`lock: null`). */
export const EnvironmentLockEvent = {
  type: "object",
  properties: { repository: str, environment: str, lock: EnvironmentLock },
  required: ["repository", "environment", "lock"],
} as const;

/** Every message kind of `GET /api/events` by its SSE `event:` name (published in the OpenAPI document's components). */
export const EVENT_SCHEMAS = {
  run: RunEvent,
  deployment: DeploymentEvent,
  batch: DeploymentBatchEvent,
  lock: EnvironmentLockEvent,
} as const;
