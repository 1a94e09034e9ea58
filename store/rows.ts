import type { FlowKind } from "../pipelines/index.js";
import type {
  ApiTokenRow,
  ArtifactRow,
  AuditEventRow,
  RepositoryRow,
  RunRow,
  RunStatus,
  RunTrigger,
  StageRow,
  StageStatus,
} from "./types.js";

/**
 * Maps raw driver rows (snake_case columns) to the store's row types. Both engines go through
 * here: PostgreSQL returns BIGINT as strings and JSONB as objects, SQLite returns numbers and
 * JSON as text, so every numeric and JSON column is normalised in one place.
 */
export type RawRow = Record<string, unknown>;

function num(v: unknown): number {
  return typeof v === "number" ? v : Number(v);
}

function numOrNull(v: unknown): number | null {
  return v === null || v === undefined ? null : num(v);
}

function strOrNull(v: unknown): string | null {
  return v === null || v === undefined ? null : String(v);
}

function json(v: unknown): Record<string, unknown> | null {
  if (v === null || v === undefined) return null;
  return (typeof v === "string" ? JSON.parse(v) : v) as Record<string, unknown>;
}

export function toRepository(r: RawRow): RepositoryRow {
  return {
    name: String(r.name),
    url: String(r.url),
    config: json(r.config) ?? {},
    lastRunNumber: num(r.last_run_number),
    createdAt: num(r.created_at),
    updatedAt: num(r.updated_at),
  };
}

export function toRun(r: RawRow): RunRow {
  return {
    id: String(r.id),
    repository: String(r.repository),
    number: num(r.number),
    ref: String(r.ref),
    sha: String(r.sha),
    flowKind: String(r.flow_kind) as FlowKind,
    version: strOrNull(r.version),
    trigger: String(r.trigger_kind) as RunTrigger,
    actor: strOrNull(r.actor),
    status: String(r.status) as RunStatus,
    owner: strOrNull(r.owner),
    dedupeKey: strOrNull(r.dedupe_key),
    retryOf: strOrNull(r.retry_of),
    retryFromStage: strOrNull(r.retry_from_stage),
    resumeFromStage: strOrNull(r.resume_from_stage),
    error: strOrNull(r.error),
    pipelineSnapshot: strOrNull(r.pipeline_snapshot),
    createdAt: num(r.created_at),
    startedAt: numOrNull(r.started_at),
    finishedAt: numOrNull(r.finished_at),
  };
}

export function toStage(r: RawRow): StageRow {
  return {
    runId: String(r.run_id),
    name: String(r.name),
    type: String(r.type),
    position: num(r.position),
    status: String(r.status) as StageStatus,
    startedAt: numOrNull(r.started_at),
    finishedAt: numOrNull(r.finished_at),
    durationMs: numOrNull(r.duration_ms),
    detail: strOrNull(r.detail),
  };
}

export function toArtifact(r: RawRow): ArtifactRow {
  return {
    id: num(r.id),
    runId: String(r.run_id),
    stage: String(r.stage),
    path: String(r.path),
    size: num(r.size),
    sha256: String(r.sha256),
    createdAt: num(r.created_at),
  };
}

export function toAuditEvent(r: RawRow): AuditEventRow {
  return {
    id: num(r.id),
    createdAt: num(r.created_at),
    actor: String(r.actor),
    action: String(r.action),
    target: String(r.target),
    detail: json(r.detail),
  };
}

export function toApiToken(r: RawRow): ApiTokenRow {
  return {
    id: String(r.id),
    name: String(r.name),
    createdAt: num(r.created_at),
    revokedAt: numOrNull(r.revoked_at),
  };
}
