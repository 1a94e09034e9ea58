import { setTimeout as sleep } from "node:timers/promises";
import type { DeploymentStore, DeployQueueStore, QueuedDeploy, QueueEntryInput } from "../store/index.js";

/** A queue entry's lease: renewed every third of it while its stage waits or deploys. */
export const QUEUE_LEASE_MS = 15_000;
/** How often a waiting stage reads the queue. */
export const QUEUE_POLL_MS = 500;

export interface TurnOptions {
  signal?: AbortSignal;
  log?: (line: string) => void;
  leaseMs?: number;
  pollMs?: number;
}

/** A deploy stage's turn at its environment: `release` once the stage is over, however it ended. */
export interface DeployTurn {
  /** The newest run waiting behind this one when its turn came: skip the deploy. */
  superseded: number | undefined;
  release(): Promise<void>;
}

/** Where turns are taken: the deploy queue, and the environment locks of explicit operations. */
export interface TurnStores {
  queue: DeployQueueStore;
  locks: Pick<DeploymentStore, "getLock">;
}

/**
 * Waits for a pipeline deploy stage's turn at its environment, in the store's queue shared by
 * every runner on the database: the stage joins at the end and waits (reading the store every
 * `pollMs`, no busy loop) until no live entry is ahead of it and no live lease holds the
 * environment's lock (an explicit deploy, a rollback, or another runner's deployment). Then it
 * is superseded when a newer run (higher run number) of the same environment waits behind it,
 * since deploying a version about to be replaced is wasted work and a needless restart. Only stages waiting at
 * the same time supersede each other: a retry of run #9 after #10 deployed is nobody's
 * predecessor, because #10 left the queue when its stage ended. The entry stays until
 * `release` (the deploy itself holds the turn), and is renewed meanwhile; a dead runner's
 * entries expire and stop counting. Rejects with the signal's reason when it aborts while
 * waiting (the entry is gone by then). Explicit deploys and rollbacks never queue: the
 * environment lock alone orders them against everything else.
 */
export async function awaitDeployTurn(
  { queue, locks }: TurnStores,
  entry: QueueEntryInput,
  opts: TurnOptions = {},
): Promise<DeployTurn> {
  const lease = opts.leaseMs ?? QUEUE_LEASE_MS;
  const poll = opts.pollMs ?? QUEUE_POLL_MS;
  let mine = await queue.join(entry, lease);
  let renewing: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    renewing = queue.renew(mine.seq, lease).catch(() => false);
  }, lease / 3);
  let released: Promise<void> | undefined;
  const release = () =>
    (released ??= (async () => {
      clearInterval(timer);
      await renewing;
      await queue.leave(mine.seq).catch(() => {});
    })());
  try {
    let told = "";
    for (;;) {
      opts.signal?.throwIfAborted();
      const live = await queue.list(entry);
      if (!live.some((e) => e.seq === mine.seq)) {
        // Our lease ran out (a stalled process, an unreachable database): we are taken for
        // dead, so we join again, at the end.
        mine = await queue.join(entry, lease);
        continue;
      }
      const head = live[0] as QueuedDeploy;
      const lock = head.seq === mine.seq ? await locks.getLock(entry) : undefined;
      if (head.seq === mine.seq && !(lock && lock.expiresAt > Date.now())) {
        const newer = live.filter((e) => e.seq !== mine.seq && e.runNumber > entry.runNumber);
        const superseded = newer.length > 0 ? Math.max(...newer.map((e) => e.runNumber)) : undefined;
        return { superseded, release };
      }
      const waitingFor = lock
        ? `the deployment of ${entry.environment} by ${lock.holder} (since ${new Date(lock.acquiredAt).toISOString()})`
        : `the deploy of run #${head.runNumber} to ${entry.environment} (runner ${head.runner})`;
      if (waitingFor !== told) {
        told = waitingFor;
        opts.log?.(`waiting for ${waitingFor} to finish first`);
      }
      await sleep(poll, undefined, { signal: opts.signal });
    }
  } catch (err) {
    await release();
    throw opts.signal?.aborted ? (opts.signal.reason ?? err) : err;
  }
}
