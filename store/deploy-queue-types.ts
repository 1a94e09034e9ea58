import type { EnvironmentKey } from "./deployment-types.js";

/** A pipeline deploy stage joining its environment's queue (migration 9). */
export interface QueueEntryInput extends EnvironmentKey {
  runId: string;
  stage: string;
  /** The run's number in its repository: a higher number is a newer run. */
  runNumber: number;
  /** The runner (id) whose daemon runs the stage. */
  runner: string;
}

export interface QueuedDeploy extends QueueEntryInput {
  /** Queue order across every runner on the database: assigned by the database, never reused. */
  seq: number;
  /** When the stage joined (the runner's clock; informational, the order is `seq`). */
  since: number;
  /** The entry's lease: its runner renews it while the stage waits or deploys. */
  expiresAt: number;
}

/**
 * The deploy stages of each environment that wait for their turn or are deploying, shared by
 * every runner on one database, so the order of deploy stages and their superseding hold
 * across runners. Entries are leases like the environment locks: a runner renews its entries
 * while their stages live, so a dead runner's entries expire and are dropped by whoever reads
 * them next. Explicit deploys and rollbacks never join.
 */
export interface DeployQueueStore {
  /**
   * Adds the stage at the end of its environment's queue; an earlier entry of the same run and
   * stage (a previous attempt of that stage) is replaced, and goes to the end too.
   */
  join(input: QueueEntryInput, leaseMs: number): Promise<QueuedDeploy>;
  /** Extends an entry's lease; false when the entry is gone (it left, or expired and was dropped). */
  renew(seq: number, leaseMs: number): Promise<boolean>;
  /** The environment's live entries in queue order; expired ones are deleted on the way. */
  list(key: EnvironmentKey): Promise<QueuedDeploy[]>;
  /** Removes an entry; false when it was not there. */
  leave(seq: number): Promise<boolean>;
  /** Removes every entry of a runner (a previous life's, at its start): how many. */
  leaveAll(runner: string): Promise<number>;
}
