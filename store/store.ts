import type { ApprovalStore } from "./approval-types.js";
import type { DeployQueueStore } from "./deploy-queue-types.js";
import type { DeploymentStore } from "./deployment-types.js";
import type { NotificationStore } from "./notification-types.js";
import type {
  ApiTokenRow,
  ArtifactInput,
  ArtifactRow,
  AuditEventInput,
  AuditEventRow,
  CreateRunResult,
  LogAppend,
  NewApiToken,
  NewRun,
  RepositoryInput,
  RepositoryRow,
  RunFilter,
  RunPage,
  RunPatch,
  RunRow,
  RunStatus,
  StageInput,
  StageRow,
} from "./types.js";

/**
 * Slipway's persistent state: repositories, runs and their stages, chunked logs, the artifact
 * index, audit events and API tokens. SQLite (one file under the data dir, the default) and
 * PostgreSQL (shared by several runners) implement it identically; the store test suite runs
 * against both. Obtain one with `openStore`, which migrates the schema, and dispose of it with
 * `await using` or `close()`.
 *
 * Concurrency: every method is atomic on its own. Run numbers, dedupe keys, claims and log
 * offsets stay correct with several `Store` instances (several runners) on one database.
 */
export interface Store extends AsyncDisposable {
  readonly engine: "sqlite" | "postgres";
  /** The SQLite file path, or the PostgreSQL URL with its password replaced by `***`. */
  readonly location: string;
  /** Deployments, their batches and environment locks (migrations 5-6). */
  readonly deployments: DeploymentStore;
  /** The deploy stages waiting for their environment or deploying, across runners (migration 9). */
  readonly deployQueue: DeployQueueStore;
  /** Outbound webhook deliveries and their attempts (migration 8). */
  readonly notifications: NotificationStore;
  /** The gates of deploy stages: approvals, window waits and overrides (migration 7). */
  readonly approvals: ApprovalStore;

  /** Applies the migrations this database lacks, each in its own transaction; returns their versions. */
  migrate(): Promise<{ applied: number[] }>;
  /** Highest applied migration version (0 for an empty database). */
  schemaVersion(): Promise<number>;
  /** Round trip to the database; rejects with SLIPWAY_E_STORE_UNREACHABLE when it does not answer. */
  ping(): Promise<void>;
  /** Closes the file or the connection pool. Idempotent. */
  close(): Promise<void>;

  /** Creates the repository or updates its url and config (config replaced when given). */
  upsertRepository(input: RepositoryInput): Promise<RepositoryRow>;
  getRepository(name: string): Promise<RepositoryRow | undefined>;
  /** All repositories by name. */
  listRepositories(): Promise<RepositoryRow[]>;

  /**
   * Creates a queued run with the repository's next run number, allocated in the same
   * transaction as the insert (so numbers are distinct and gapless under concurrency). With a
   * `dedupeKey` already used in the repository, creates nothing and returns the existing run
   * with `duplicate: true`. Rejects with SLIPWAY_E_STORE_UNKNOWN_REPOSITORY for an unknown repository.
   */
  createRun(input: NewRun): Promise<CreateRunResult>;
  getRun(id: string): Promise<RunRow | undefined>;
  getRunByNumber(repository: string, number: number): Promise<RunRow | undefined>;
  /**
   * Newest first, keyset-paginated: pass `nextCursor` back as `cursor` for the next page.
   * `pipelineSnapshot` is null here (it is not even read); `getRun` returns it.
   */
  listRuns(filter?: RunFilter): Promise<RunPage>;
  /** Every run in a status, oldest first (restart recovery: the runs this runner owned). */
  listRunsByStatus(status: RunStatus, opts?: { owner?: string }): Promise<RunRow[]>;
  /**
   * Changes the given fields. With `ifStatus`, only when the run's status is one of them (so a
   * cancel cannot overwrite a run that just finished). Returns the updated run, or undefined
   * when the run does not exist or the condition did not hold.
   */
  updateRun(id: string, patch: RunPatch, opts?: { ifStatus?: RunStatus[] }): Promise<RunRow | undefined>;
  /**
   * Atomically moves the oldest queued run to `running`, owned by `runnerId`, with `startedAt`
   * set. Two runners never claim the same run. Undefined when nothing is queued.
   */
  claimNextQueued(runnerId: string): Promise<RunRow | undefined>;

  /** Inserts or updates the stage (run, name); optional fields left out keep their stored value. */
  upsertStage(runId: string, stage: StageInput): Promise<void>;
  /** Stages of a run by position. */
  listStages(runId: string): Promise<StageRow[]>;

  /**
   * Appends text to a stage's log as one or more chunk rows (pieces of at most 256 KiB, cut at
   * character boundaries). Offsets are UTF-8 byte offsets within the stage's log.
   */
  appendLog(runId: string, stage: string, text: string): Promise<LogAppend>;
  /**
   * Streams a stage's log from a byte offset, chunk by chunk, fetching a bounded page at a time
   * (at most 256 chunks or about 1 MiB), so a log of any size streams in constant memory. An
   * offset inside a multi-byte character starts at the next character.
   */
  readLog(runId: string, stage: string, fromOffset?: number): AsyncIterable<string>;
  /** Size in bytes of a stage's log (0 when nothing was appended). */
  logSize(runId: string, stage: string): Promise<number>;
  /** Log retention: deletes the logs of runs finished before the time; returns the stage logs removed. */
  pruneLogs(finishedBefore: number): Promise<number>;

  /** Indexes an artifact; the same (run, stage, path) again replaces size and digest. */
  addArtifact(runId: string, artifact: ArtifactInput): Promise<ArtifactRow>;
  listArtifacts(runId: string): Promise<ArtifactRow[]>;

  addAuditEvent(event: AuditEventInput): Promise<AuditEventRow>;
  /** Newest first. */
  listAuditEvents(limit?: number): Promise<AuditEventRow[]>;

  /** Creates a random token; only its SHA-256 is stored, so `token` is shown to the caller once. */
  createApiToken(name: string): Promise<NewApiToken>;
  /** The token's id and name when it exists and is not revoked. */
  verifyApiToken(token: string): Promise<{ id: string; name: string } | undefined>;
  /** False when no such unrevoked token exists. */
  revokeApiToken(id: string): Promise<boolean>;
  listApiTokens(): Promise<ApiTokenRow[]>;
}
