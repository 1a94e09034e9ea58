/** Rows and inputs of deployment state: deployments, their batches, environment locks. */

export const DEPLOYMENT_STATUSES = [
  "running",
  "paused",
  /** The two-phase finish: the new version serves, the replaced containers are kept stopped until `confirm`. */
  "awaiting_confirm",
  "success",
  "failed",
  "rolled_back",
  "cancelled",
  "interrupted",
] as const;
export type DeploymentStatus = (typeof DEPLOYMENT_STATUSES)[number];

export const DEPLOYMENT_TRIGGERS = ["stage", "cli", "api", "rollback", "recovery"] as const;
export type DeploymentTrigger = (typeof DEPLOYMENT_TRIGGERS)[number];

/** Identifies an environment: environments are defined per repository (in its slipway.yml). */
export interface EnvironmentKey {
  repository: string;
  environment: string;
}

export interface NewDeployment extends EnvironmentKey {
  version: string;
  previousVersion?: string | null;
  strategy: string;
  trigger: DeploymentTrigger;
  actor?: string | null;
  runId?: string | null;
  /** Set when this deployment rolls back another one. */
  rollbackOf?: string | null;
  /** What the executor needs to return to this version later (compose env, service hashes). */
  spec?: Record<string, unknown>;
}

export interface DeploymentRow extends EnvironmentKey {
  id: string;
  version: string;
  previousVersion: string | null;
  strategy: string;
  trigger: DeploymentTrigger;
  actor: string | null;
  runId: string | null;
  rollbackOf: string | null;
  status: DeploymentStatus;
  /** Human summary of how it ended ("3 replicas of app replaced", "rolled back: ..."). */
  outcome: string | null;
  rollbackReason: string | null;
  spec: Record<string, unknown> | null;
  createdAt: number;
  updatedAt: number;
  finishedAt: number | null;
}

export interface DeploymentPatch {
  status?: DeploymentStatus;
  outcome?: string | null;
  rollbackReason?: string | null;
  finishedAt?: number | null;
  /** Replaces the recorded spec (the two-phase finish records the containers it keeps there). */
  spec?: Record<string, unknown>;
}

export interface BatchInput {
  phase: "update" | "rollback";
  service: string;
  batch: number;
  batches: number;
  added: string[];
  removed: string[];
  status: "success" | "failed";
  /** Per new container: `{id, state, detail}` as the health check saw it. */
  health: Record<string, unknown>[];
  startedAt: number;
  finishedAt: number;
}

export interface BatchRow extends BatchInput {
  deploymentId: string;
  seq: number;
}

export interface LockRow extends EnvironmentKey {
  holder: string;
  deploymentId: string | null;
  acquiredAt: number;
  expiresAt: number;
}

export type LockResult = { acquired: true; lock: LockRow } | { acquired: false; heldBy: LockRow };

/**
 * Deployment state shared by every runner on one database. Every method is atomic on its own;
 * `acquireLock` in particular gives one environment to one holder at a time on SQLite and
 * PostgreSQL alike. Locks are leases: a holder renews its lease while it works, and a lease
 * that expired (its runner died) may be taken over.
 */
export interface DeploymentStore {
  createDeployment(input: NewDeployment): Promise<DeploymentRow>;
  getDeployment(id: string): Promise<DeploymentRow | undefined>;
  updateDeployment(id: string, patch: DeploymentPatch): Promise<DeploymentRow | undefined>;
  /** Newest first. */
  listDeployments(key: EnvironmentKey, limit?: number): Promise<DeploymentRow[]>;
  /** The newest deployment in one of the statuses (e.g. the last `success`: the last good version). */
  latestDeployment(key: EnvironmentKey, statuses: DeploymentStatus[]): Promise<DeploymentRow | undefined>;
  /** Deployments in a status across environments (restart recovery: `running` ones left behind). */
  listDeploymentsByStatus(status: DeploymentStatus): Promise<DeploymentRow[]>;
  /** Names of the environments of a repository that have at least one deployment, sorted. */
  listDeployedEnvironments(repository: string): Promise<string[]>;

  addBatch(deploymentId: string, batch: BatchInput): Promise<BatchRow>;
  listBatches(deploymentId: string): Promise<BatchRow[]>;

  /** Takes the environment's lock when it is free or its lease expired; otherwise reports the holder. */
  acquireLock(key: EnvironmentKey, holder: string, leaseMs: number, deploymentId?: string): Promise<LockResult>;
  /** Extends the holder's lease; false when the holder no longer has the lock. */
  renewLock(key: EnvironmentKey, holder: string, leaseMs: number): Promise<boolean>;
  /** Releases the lock if `holder` has it; false otherwise. */
  releaseLock(key: EnvironmentKey, holder: string): Promise<boolean>;
  getLock(key: EnvironmentKey): Promise<LockRow | undefined>;
}
