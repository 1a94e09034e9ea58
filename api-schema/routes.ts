import {
  ApiToken,
  Approval,
  Artifact,
  AuditEvent,
  DELIVERY_STATUS_VALUES,
  Delivery,
  DeliveryAttempt,
  Deployment,
  DeploymentDetail,
  EnvironmentSummary,
  ErrorBody,
  FLOW_KIND_VALUES,
  GitRef,
  NewApiToken,
  Repository,
  RUN_STATUS_VALUES,
  Run,
  ServiceStatus,
  Stage,
  TestReport,
  Webhook,
} from "./models.js";

/**
 * The fastify `schema` of every route, by name. Query parameters are strings (no coercion:
 * `limit` is checked by pattern, its range by the route); bodies refuse unknown keys.
 */
const errors = { 400: ErrorBody, 401: ErrorBody, 404: ErrorBody, 409: ErrorBody, 422: ErrorBody } as const;
/** The answer to approve and reject: the run and the recorded decision. */
const decided = {
  type: "object",
  properties: { run: Run, approval: Approval },
  required: ["run", "approval"],
} as const;
const idParams = { type: "object", properties: { id: { type: "string" } }, required: ["id"] } as const;
const repoParams = { type: "object", properties: { repo: { type: "string" } }, required: ["repo"] } as const;
const text = { type: "string" } as const;
const envParams = {
  type: "object",
  properties: { repo: text, env: text },
  required: ["repo", "env"],
} as const;
/**
 * How long an operation waits for another deployment of the environment to finish (default:
 * refuse at once). The request is held meanwhile, so the bound stays under the 300 s a fetch
 * client (undici, the CLI's) waits for response headers.
 */
const waitSeconds = { type: "integer", minimum: 0, maximum: 240 } as const;
const started = { type: "object", properties: { deployment: Deployment }, required: ["deployment"] } as const;

export const ROUTES = {
  health: {
    summary: "Store and engine health",
    tags: ["daemon"],
    response: {
      200: {
        type: "object",
        properties: { status: text, store: text, engine: text, runner: text },
        required: ["status", "store", "engine", "runner"],
      },
      503: {
        type: "object",
        properties: { status: text, store: text, engine: text, runner: text },
        required: ["status", "store", "engine", "runner"],
      },
    },
  },
  metrics: { summary: "Prometheus metrics (text)", tags: ["daemon"], response: { 200: text } },
  whoami: {
    summary: "Who the presented token belongs to, and whether it may change things",
    tags: ["auth"],
    response: {
      200: {
        type: "object",
        properties: {
          actor: { type: ["string", "null"] },
          canWrite: { type: "boolean" },
          publicRead: { type: "boolean" },
        },
        required: ["actor", "canWrite", "publicRead"],
      },
    },
  },
  listRepos: {
    summary: "Configured repositories",
    tags: ["repositories"],
    response: {
      200: {
        type: "object",
        properties: { repositories: { type: "array", items: Repository } },
        required: ["repositories"],
      },
      ...errors,
    },
  },
  listRefs: {
    summary: "Branches and tags of a repository's remote",
    tags: ["repositories"],
    params: repoParams,
    response: {
      200: {
        type: "object",
        properties: { branches: { type: "array", items: GitRef }, tags: { type: "array", items: GitRef } },
        required: ["branches", "tags"],
      },
      ...errors,
    },
  },
  triggerRun: {
    summary: "Queue a manual run of a branch or tag",
    tags: ["runs"],
    params: repoParams,
    body: {
      type: "object",
      // A ref is at most 1 KiB: git allows longer, no forge does, and the run list carries it.
      properties: {
        ref: { type: "string", minLength: 1, maxLength: 1024 },
        sha: { type: "string", pattern: "^[0-9a-f]{40}$" },
      },
      required: ["ref"],
      additionalProperties: false,
    },
    response: { 201: { type: "object", properties: { run: Run }, required: ["run"] }, ...errors },
  },
  listRuns: {
    summary: "Runs, newest first, keyset-paginated",
    tags: ["runs"],
    querystring: {
      type: "object",
      properties: {
        repository: text,
        status: { type: "string", enum: RUN_STATUS_VALUES },
        ref: text,
        flowKind: { type: "string", enum: FLOW_KIND_VALUES },
        limit: { type: "string", pattern: "^[0-9]+$" },
        cursor: text,
        include: { type: "string", enum: ["stages"] },
      },
      additionalProperties: false,
    },
    response: {
      200: {
        type: "object",
        properties: {
          runs: { type: "array", items: Run },
          nextCursor: text,
          stages: { type: "object", additionalProperties: { type: "array", items: Stage } },
        },
        required: ["runs"],
      },
      ...errors,
    },
  },
  getRun: {
    summary: "A run with its stages, artifacts and test reports",
    tags: ["runs"],
    params: idParams,
    response: {
      200: {
        type: "object",
        properties: {
          run: Run,
          stages: { type: "array", items: Stage },
          artifacts: { type: "array", items: Artifact },
          tests: { type: "array", items: TestReport },
          approvals: { type: "array", items: Approval },
        },
        required: ["run", "stages", "artifacts", "tests", "approvals"],
      },
      ...errors,
    },
  },
  getLog: {
    summary: "A stage's log as text, or live as server-sent events with ?follow=1",
    tags: ["runs"],
    params: {
      type: "object",
      properties: { id: text, stage: text },
      required: ["id", "stage"],
    },
    querystring: {
      type: "object",
      properties: { offset: text, follow: { type: "string", enum: ["1", "true", "0", "false"] } },
      additionalProperties: false,
    },
    response: { 200: text, ...errors },
  },
  getArtifact: {
    summary: "Download one artifact file",
    tags: ["runs"],
    params: {
      type: "object",
      properties: { id: text, artifact: { type: "string", pattern: "^[0-9]+$" } },
      required: ["id", "artifact"],
    },
    response: { 200: text, ...errors },
  },
  cancelRun: {
    summary: "Cancel a queued or running run",
    tags: ["runs"],
    params: idParams,
    response: {
      202: {
        type: "object",
        properties: { cancelled: { type: "boolean" }, run: Run },
        required: ["cancelled", "run"],
      },
      ...errors,
    },
  },
  retryRun: {
    summary: "Queue a retry of a finished run, whole or from a stage",
    tags: ["runs"],
    params: idParams,
    body: {
      type: ["object", "null"],
      properties: { fromStage: { type: "string", minLength: 1, maxLength: 200 } },
      additionalProperties: false,
    },
    response: {
      201: {
        type: "object",
        properties: { run: Run, fromStage: { type: ["string", "null"] } },
        required: ["run", "fromStage"],
      },
      ...errors,
    },
  },
  approveRun: {
    summary: "Approve the deploy a waiting run waits for (or, with overrideWindow, deploy outside the window)",
    tags: ["runs"],
    params: idParams,
    body: {
      type: ["object", "null"],
      properties: {
        comment: { type: "string", maxLength: 2000 },
        overrideWindow: { type: "boolean" },
      },
      additionalProperties: false,
    },
    response: { 200: decided, ...errors },
  },
  rejectRun: {
    summary: "Reject the deploy a waiting run waits for: the run fails",
    tags: ["runs"],
    params: idParams,
    body: {
      type: ["object", "null"],
      properties: { comment: { type: "string", maxLength: 2000 } },
      additionalProperties: false,
    },
    response: { 200: decided, ...errors },
  },
  events: {
    summary: "Server-sent events: run and stage changes, deployments, their batches, environment locks",
    description:
      "A text/event-stream. Each message's `event:` names its kind and its `data:` is JSON: `run` (a run after a change, with its stages: #/components/schemas/RunEvent), `deployment` (a deployment as recorded: DeploymentEvent), `batch` (a batch of a deployment: DeploymentBatchEvent), `lock` (an environment's lock taken or freed: EnvironmentLockEvent). Comments (`: keep-alive`) every 15 s. See docs/api.md.",
    tags: ["runs", "environments"],
    response: { 200: { description: "the stream", content: { "text/event-stream": { schema: text } } } },
  },
  listAudit: {
    summary: "Audit log, newest first",
    tags: ["audit"],
    querystring: {
      type: "object",
      properties: { limit: { type: "string", pattern: "^[0-9]+$" } },
      additionalProperties: false,
    },
    response: {
      200: { type: "object", properties: { events: { type: "array", items: AuditEvent } }, required: ["events"] },
      ...errors,
    },
  },
  listTokens: {
    summary: "Store-issued API tokens (never the token itself)",
    tags: ["auth"],
    response: {
      200: { type: "object", properties: { tokens: { type: "array", items: ApiToken } }, required: ["tokens"] },
      ...errors,
    },
  },
  createToken: {
    summary: "Issue an API token; the clear token is in this answer only",
    tags: ["auth"],
    body: {
      type: "object",
      properties: { name: { type: "string", minLength: 1, maxLength: 100, pattern: "^[A-Za-z0-9][A-Za-z0-9 ._@-]*$" } },
      required: ["name"],
      additionalProperties: false,
    },
    response: { 201: NewApiToken, ...errors },
  },
  revokeToken: {
    summary: "Revoke a store-issued API token",
    tags: ["auth"],
    params: idParams,
    response: {
      200: { type: "object", properties: { revoked: { type: "boolean" }, id: text }, required: ["revoked", "id"] },
      ...errors,
    },
  },
  listWebhooks: {
    summary: "Configured outbound webhooks (without URLs or secrets)",
    tags: ["notifications"],
    response: {
      200: { type: "object", properties: { webhooks: { type: "array", items: Webhook } }, required: ["webhooks"] },
      ...errors,
    },
  },
  listDeliveries: {
    summary: "Outbound webhook deliveries, newest first",
    tags: ["notifications"],
    querystring: {
      type: "object",
      properties: {
        webhook: text,
        status: { type: "string", enum: DELIVERY_STATUS_VALUES },
        run: text,
        limit: { type: "string", pattern: "^[0-9]+$" },
        before: text,
      },
      additionalProperties: false,
    },
    response: {
      200: { type: "object", properties: { deliveries: { type: "array", items: Delivery } }, required: ["deliveries"] },
      ...errors,
    },
  },
  getDelivery: {
    summary: "A delivery with its body and every attempt",
    tags: ["notifications"],
    params: idParams,
    response: {
      200: {
        type: "object",
        properties: { delivery: Delivery, body: text, attempts: { type: "array", items: DeliveryAttempt } },
        required: ["delivery", "body", "attempts"],
      },
      ...errors,
    },
  },
  redeliver: {
    summary: "Send a delivery's body again, as a new delivery with the same event id",
    tags: ["notifications"],
    params: idParams,
    response: { 201: { type: "object", properties: { delivery: Delivery }, required: ["delivery"] }, ...errors },
  },
  listEnvironments: {
    summary: "Environments of a repository (defined in its newest pipeline, or deployed before)",
    tags: ["environments"],
    params: repoParams,
    response: {
      200: {
        type: "object",
        properties: { environments: { type: "array", items: EnvironmentSummary } },
        required: ["environments"],
      },
      ...errors,
    },
  },
  environmentStatus: {
    summary: "An environment: its newest deployment, lock, and each service's version and health from the engine",
    tags: ["environments"],
    params: envParams,
    response: {
      200: {
        type: "object",
        properties: { ...EnvironmentSummary.properties, services: { type: "array", items: ServiceStatus } },
        required: [...EnvironmentSummary.required, "services"],
      },
      ...errors,
    },
  },
  listDeployments: {
    summary: "Deployment history of an environment, newest first, each with its batches",
    tags: ["environments"],
    params: envParams,
    querystring: {
      type: "object",
      properties: { limit: { type: "string", pattern: "^[0-9]+$" } },
      additionalProperties: false,
    },
    response: {
      200: {
        type: "object",
        properties: { deployments: { type: "array", items: DeploymentDetail } },
        required: ["deployments"],
      },
      ...errors,
    },
  },
  getDeployment: {
    summary: "One deployment with its batches",
    tags: ["environments"],
    params: { type: "object", properties: { repo: text, env: text, id: text }, required: ["repo", "env", "id"] },
    response: {
      200: { type: "object", properties: { deployment: DeploymentDetail }, required: ["deployment"] },
      ...errors,
    },
  },
  deployEnvironment: {
    summary: "Deploy a version a run produced; answers once the deployment started (202), the rollout goes on",
    tags: ["environments"],
    params: envParams,
    body: {
      type: "object",
      properties: {
        version: { type: "string", minLength: 1, maxLength: 256 },
        waitSeconds,
        // Outside the environment's deploy window: deploy anyway (audited as override-window).
        overrideWindow: { type: "boolean" },
      },
      required: ["version"],
      additionalProperties: false,
    },
    response: { 202: started, ...errors },
  },
  confirmEnvironment: {
    summary: "Continue a paused or interrupted deployment toward its version",
    tags: ["environments"],
    params: envParams,
    body: { type: ["object", "null"], properties: { waitSeconds }, additionalProperties: false },
    response: { 202: started, ...errors },
  },
  rollbackEnvironment: {
    summary: "Roll back to a version, or by default to the last good one (a paused deployment: to its previous)",
    tags: ["environments"],
    params: envParams,
    body: {
      type: ["object", "null"],
      properties: { version: { type: "string", minLength: 1, maxLength: 256 }, waitSeconds },
      additionalProperties: false,
    },
    response: { 202: started, ...errors },
  },
  hook: {
    summary: "Forge webhook (GitHub, Gitea, GitLab, plain JSON); body read raw, see docs/webhooks.md",
    tags: ["hooks"],
    params: repoParams,
    response: {
      200: {
        type: "object",
        properties: { run: Run, duplicate: { type: "boolean" }, ok: { type: "boolean" }, ping: { type: "boolean" } },
      },
      201: { type: "object", properties: { run: Run, duplicate: { type: "boolean" } }, required: ["run", "duplicate"] },
      202: { type: "object", properties: { ignored: text }, required: ["ignored"] },
      "4xx": ErrorBody,
    },
  },
} as const;

export type RouteName = keyof typeof ROUTES;
