import type { FlowKind } from "../pipelines/index.js";

/**
 * Rows and inputs of the store. Every timestamp is epoch milliseconds (UTC) as a number, so
 * durations are a subtraction and both engines store a plain integer; absent values in rows
 * are `null` (JSON-friendly), absent values in inputs are left out.
 */
export type EpochMs = number;

/**
 * `waiting`: parked before a deploy stage (a manual approval, a closed deploy window). A
 * waiting run holds no concurrency slot and no worktree; it goes back to `queued` to resume.
 */
export type RunStatus = "queued" | "running" | "waiting" | "success" | "failed" | "cancelled";
export const RUN_STATUSES: readonly RunStatus[] = ["queued", "running", "waiting", "success", "failed", "cancelled"];

/** What created a run: a forge webhook, the poller, a person, a retry of an earlier run, the API. */
export type RunTrigger = "push" | "poll" | "manual" | "retry" | "api";
export const RUN_TRIGGERS: readonly RunTrigger[] = ["push", "poll", "manual", "retry", "api"];

/** `waiting`: the deploy stage a waiting run is parked at; the stages after it are `pending`. */
export type StageStatus = "pending" | "running" | "waiting" | "success" | "failed" | "skipped" | "cancelled";
export const STAGE_STATUSES: readonly StageStatus[] = [
  "pending",
  "running",
  "waiting",
  "success",
  "failed",
  "skipped",
  "cancelled",
];

/** A repository Slipway builds, keyed by its unique name. */
export interface RepositoryRow {
  name: string;
  url: string;
  /** Free-form per-repository settings (poll interval, branch filters, ...), stored as JSON. */
  config: Record<string, unknown>;
  /** Number of the newest run; the next run gets `lastRunNumber + 1`. */
  lastRunNumber: number;
  createdAt: EpochMs;
  updatedAt: EpochMs;
}

export interface RepositoryInput {
  name: string;
  url: string;
  config?: Record<string, unknown>;
}

/** One run of a repository's pipeline for one commit. */
export interface RunRow {
  /** 26-character ULID: sortable by creation time, unique across runners sharing a database. */
  id: string;
  repository: string;
  /** Per-repository, monotonic, gapless: 1, 2, 3, ... */
  number: number;
  ref: string;
  sha: string;
  flowKind: FlowKind;
  /** Version computed for the run (`develop-12`, `1.4.0-rc.3`, `v1.4.0`), once known. */
  version: string | null;
  trigger: RunTrigger;
  actor: string | null;
  status: RunStatus;
  /** Id of the runner that claimed the run (`claimNextQueued`). */
  owner: string | null;
  /** Key that made the run unique within its repository (webhook delivery id, `commit:<ref>:<sha>`). */
  dedupeKey: string | null;
  /** Id of the run this one retries. */
  retryOf: string | null;
  /** For a retry from a stage: the first stage that runs; earlier ones reuse the original's work. */
  retryFromStage: string | null;
  /** The stage a waiting run resumes at (it and later ones run; earlier results stay as stored). */
  resumeFromStage: string | null;
  error: string | null;
  /** The pipeline file as read at the run's commit, so a run can be understood after the file changed. */
  pipelineSnapshot: string | null;
  createdAt: EpochMs;
  startedAt: EpochMs | null;
  finishedAt: EpochMs | null;
}

export interface NewRun {
  repository: string;
  ref: string;
  sha: string;
  flowKind: FlowKind;
  trigger: RunTrigger;
  actor?: string;
  dedupeKey?: string;
  pipelineSnapshot?: string;
  version?: string;
  retryOf?: string;
  retryFromStage?: string;
}

/** `duplicate: true` when a run with the same dedupe key already existed; `run` is then that run. */
export interface CreateRunResult {
  run: RunRow;
  duplicate: boolean;
}

/** Fields `updateRun` may change; `null` clears a nullable field. */
export interface RunPatch {
  status?: RunStatus;
  version?: string | null;
  owner?: string | null;
  startedAt?: EpochMs | null;
  finishedAt?: EpochMs | null;
  error?: string | null;
  pipelineSnapshot?: string | null;
  resumeFromStage?: string | null;
}

/** Filters of `listRuns`; all given filters must match. */
export interface RunFilter {
  repository?: string;
  status?: RunStatus;
  ref?: string;
  flowKind?: FlowKind;
  /** Runs that computed this version (`slipway deploy ENV VERSION` finds the commit of a version). */
  version?: string;
  /** 1..500, default 50. */
  limit?: number;
  /** `nextCursor` of the previous page. */
  cursor?: string;
}

/** A page of runs, newest first; `nextCursor` is absent on the last page. */
export interface RunPage {
  runs: RunRow[];
  nextCursor?: string;
}

/** One stage of a run; `upsertStage` keys it by (run, name). */
export interface StageRow {
  runId: string;
  name: string;
  type: string;
  position: number;
  status: StageStatus;
  startedAt: EpochMs | null;
  finishedAt: EpochMs | null;
  durationMs: number | null;
  detail: string | null;
}

export type StageInput = Pick<StageRow, "name" | "type" | "position" | "status"> &
  Partial<Pick<StageRow, "startedAt" | "finishedAt" | "durationMs" | "detail">>;

/** Where an appended piece of log landed: its first byte and the stage log's size after it. */
export interface LogAppend {
  offset: number;
  size: number;
}

/** An artifact a stage produced, indexed by the store; the bytes live on disk. */
export interface ArtifactRow {
  id: number;
  runId: string;
  stage: string;
  /** Workspace-relative path. */
  path: string;
  size: number;
  sha256: string;
  createdAt: EpochMs;
}

export type ArtifactInput = Pick<ArtifactRow, "stage" | "path" | "size" | "sha256">;

/** Who did what to what: approvals, deployments, token changes, manual triggers. */
export interface AuditEventRow {
  id: number;
  createdAt: EpochMs;
  actor: string;
  action: string;
  target: string;
  detail: Record<string, unknown> | null;
}

export type AuditEventInput = Pick<AuditEventRow, "actor" | "action" | "target"> & {
  detail?: Record<string, unknown>;
};

/** An API token as listed; the token itself is never stored, only its SHA-256. */
export interface ApiTokenRow {
  id: string;
  name: string;
  createdAt: EpochMs;
  revokedAt: EpochMs | null;
}

/** Returned once by `createApiToken`: `token` cannot be read back later. */
export interface NewApiToken {
  id: string;
  name: string;
  token: string;
}
