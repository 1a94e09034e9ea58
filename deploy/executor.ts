import { randomBytes } from "node:crypto";
import type { Engine } from "../engine/index.js";
import { DEFAULT_KEEP_VERSIONS } from "../pipelines/index.js";
import type { DeploymentRow, DeploymentStore, DeploymentTrigger, EnvironmentKey } from "../store/index.js";
import { deployBlueGreen, type ExecutorSupport, rollbackBlueGreen } from "./blue-green.js";
import { EnvironmentCompose, type EnvironmentTarget } from "./compose-target.js";
import { DeployError, isDeployError } from "./errors.js";
import { withHooks } from "./hooks.js";
import { Keeper, keptOf } from "./keep.js";
import { planDeployment } from "./planner.js";
import { type RolloutContext, refuseStopFirst, runRollout } from "./rollout.js";
import { readStackState } from "./stack-state.js";
import { awaitingConfirm, confirmKept, keepVersionsOf, refuseExpiredRollback, restartKept } from "./two-phase.js";

export interface ExecutorOptions {
  engine: Engine;
  records: DeploymentStore;
  /** Who holds the environment lock: the runner's id. */
  holder: string;
  log?: (line: string) => void;
  signal?: AbortSignal;
  trigger?: DeploymentTrigger;
  actor?: string;
  runId?: string;
  /** How long to wait for another deployment of the environment to finish; 0 refuses at once. */
  lockWaitMs?: number;
  leaseMs?: number;
  /**
   * Called once the lock is held and the deployment recorded, before anything changes: the
   * API answers `202` with the row here while the rollout goes on (a version check or a lock
   * refusal rejects before it is ever called).
   */
  onStarted?: (row: DeploymentRow) => void;
}

/** What `spec` of a deployment row holds: enough to return to that version later. */
export interface DeploymentSpec {
  variables: Record<string, string>;
  /** Compose config hash per service: `slipway status` maps a container's hash to its version. */
  hashes?: Record<string, string>;
  /** `keep_versions` in force while this deployment serves (the rollback window). */
  keepVersions?: number;
  /** `confirm_upgrade`: the replaced containers kept stopped until `confirm`, per service. */
  kept?: Record<string, string[]>;
}

const DEFAULT_LEASE_MS = 30_000;

/**
 * Deploys a version to an environment: refuses a version whose images are neither local nor
 * pullable before touching anything, takes the environment's lock in the store (so two
 * runners never deploy one environment at once), records the deployment and every batch,
 * and on failure carries out the failure action (rollback to the last good version with
 * `rollback_config`, or pause). Resolves with the finished deployment row; rejects with a
 * coded DeployError (ROLLED_BACK, PAUSED, UNHEALTHY, LOCKED, VERSION_MISSING, ...).
 */
export async function deployVersion(target: EnvironmentTarget, opts: ExecutorOptions): Promise<DeploymentRow> {
  if (target.environment.strategy === "blue-green") return deployBlueGreen(target, opts, BLUE_GREEN);
  const log = opts.log ?? (() => {});
  const compose = await EnvironmentCompose.open(target, log);
  const { specs, images } = await compose.specs();
  await requireImages(opts.engine, images, target.version, log);
  if (target.environment.confirmUpgrade) {
    // Refused before anything changes (and before a pre_deploy hook runs).
    refuseStopFirst(
      planDeployment("rolling", await readStackState(opts.engine, target.project), specs),
      target.environment.name,
    );
  }
  const key = keyOf(target);
  return withLock(key, opts, async () => {
    const [latest] = await opts.records.listDeployments(key, 1);
    if (latest?.status === "awaiting_confirm") throw awaitingConfirm(latest);
    const previous = await opts.records.latestDeployment(key, ["success"]);
    const row = await opts.records.createDeployment({
      ...key,
      version: target.version,
      previousVersion: previous?.version ?? null,
      strategy: target.environment.strategy,
      trigger: opts.trigger ?? "cli",
      actor: opts.actor ?? null,
      runId: opts.runId ?? null,
      spec: {
        variables: target.variables,
        hashes: hashesOf(specs),
        keepVersions: target.environment.keepVersions ?? DEFAULT_KEEP_VERSIONS,
      } satisfies DeploymentSpec,
    });
    opts.onStarted?.(row);
    return settle(
      row,
      opts,
      withHooks(
        {
          records: opts.records,
          row,
          previous,
          hooks: target.environment.hooks,
          composeFor: async () => compose,
          log: opts.log,
          signal: opts.signal,
        },
        () => carryOut(row, compose, specs, previous, opts),
      ),
    );
  });
}

/** Continues a paused (or interrupted) deployment toward its version. */
export async function confirmDeployment(target: EnvironmentTarget, opts: ExecutorOptions): Promise<DeploymentRow> {
  const key = keyOf(target);
  const paused = await opts.records.latestDeployment(key, ["paused", "interrupted", "running", "awaiting_confirm"]);
  if (!paused || paused.status === "running") {
    throw new DeployError(
      "SLIPWAY_E_DEPLOY_NOT_PAUSED",
      `${key.repository}/${key.environment} has no paused deployment`,
    );
  }
  if (paused.status === "awaiting_confirm") return withLock(key, opts, () => confirmKept(paused, opts));
  if (paused.strategy === "blue-green") {
    const resumed = { ...target, version: paused.version, variables: specOf(paused).variables };
    return deployBlueGreen(resumed, opts, BLUE_GREEN, paused);
  }
  const compose = (await EnvironmentCompose.open(target, opts.log)).withVersion(
    paused.version,
    specOf(paused).variables,
  );
  const { specs } = await compose.specs();
  return withLock(key, opts, async () => {
    const previous = paused.previousVersion ? await findSuccess(opts.records, key, paused.previousVersion) : undefined;
    const resumed = (await opts.records.updateDeployment(paused.id, { status: "running" })) ?? paused;
    opts.onStarted?.(resumed);
    return settle(paused, opts, carryOut(paused, compose, specs, previous, opts));
  });
}

/**
 * Rolls back: a paused or interrupted deployment returns to its previous version (only its
 * replaced replicas change, with `rollback_config`); otherwise the environment goes to
 * `version`, or by default to the last good version before the current one.
 */
export async function rollbackEnvironment(
  target: EnvironmentTarget,
  opts: ExecutorOptions,
  version?: string,
): Promise<DeploymentRow> {
  const key = keyOf(target);
  const history = await opts.records.listDeployments(key, 200);
  const { current, stuck, to } = rollbackDestination(history, version);
  if (!to) {
    throw new DeployError(
      "SLIPWAY_E_DEPLOY_NO_PREVIOUS",
      version
        ? `${key.repository}/${key.environment} was never deployed successfully at ${version}`
        : `${key.repository}/${key.environment} has no earlier successful deployment to roll back to`,
    );
  }
  const keepVersions = keepVersionsOf(history, target.environment.keepVersions);
  if (version) refuseExpiredRollback(history, version, keepVersions, key);
  if (target.environment.strategy === "blue-green")
    return rollbackBlueGreen(target, opts, BLUE_GREEN, to, current, stuck);
  if (current?.status === "awaiting_confirm") {
    if (to.version !== current.previousVersion) throw awaitingConfirm(current);
    return rollbackKept(target, opts, current, to, keepVersions);
  }
  const compose = (await EnvironmentCompose.open(target, opts.log)).withVersion(to.version, specOf(to).variables);
  const { specs, images } = await compose.specs();
  await requireImages(opts.engine, images, to.version, opts.log ?? (() => {}));
  return withLock(key, opts, async () => {
    if (stuck) {
      await opts.records.updateDeployment(stuck.id, {
        status: "rolled_back",
        rollbackReason: `rollback requested by ${opts.actor ?? "an operator"}`,
        finishedAt: Date.now(),
      });
    }
    const row = await opts.records.createDeployment({
      ...key,
      version: to.version,
      previousVersion: current?.version ?? null,
      strategy: target.environment.strategy,
      trigger: "rollback",
      actor: opts.actor ?? null,
      rollbackOf: current?.id ?? null,
      spec: { ...specOf(to), hashes: hashesOf(specs), keepVersions },
    });
    opts.onStarted?.(row);
    return settle(row, opts, finishRollback(row, compose, specs, to.version, opts));
  });
}

/**
 * `rollback` of a deployment awaiting confirmation: its kept containers start again (no pull,
 * no new container), and once healthy they are back in rotation and the new ones leave. A
 * kept container that does not come up is replaced by an ordinary rollback rollout.
 */
async function rollbackKept(
  target: EnvironmentTarget,
  opts: ExecutorOptions,
  current: DeploymentRow,
  to: DeploymentRow,
  keepVersions: number,
): Promise<DeploymentRow> {
  const key = keyOf(target);
  const compose = (await EnvironmentCompose.open(target, opts.log)).withVersion(to.version, specOf(to).variables);
  const { specs } = await compose.specs();
  return withLock(key, opts, async () => {
    const now = await opts.records.getDeployment(current.id);
    if (now?.status !== "awaiting_confirm") {
      throw new DeployError(
        "SLIPWAY_E_DEPLOY_NOT_PAUSED",
        `${key.repository}/${key.environment}: deployment ${current.id} is no longer awaiting confirmation (${now?.status ?? "gone"}); try again`,
      );
    }
    const reason = `rollback requested by ${opts.actor ?? "an operator"} before confirm`;
    await opts.records.updateDeployment(current.id, { status: "rolled_back", rollbackReason: reason });
    const row = await opts.records.createDeployment({
      ...key,
      version: to.version,
      previousVersion: current.version,
      strategy: target.environment.strategy,
      trigger: "rollback",
      actor: opts.actor ?? null,
      rollbackOf: current.id,
      spec: { ...specOf(to), hashes: hashesOf(specs), keepVersions },
    });
    opts.onStarted?.(row);
    const work = async () => {
      const ctx = rolloutContext(row, opts);
      const restarted = await restartKept(ctx, compose, specs, keptOf(now.spec));
      await opts.records.updateDeployment(current.id, { finishedAt: Date.now() });
      if (restarted.allUp) {
        return finish(
          opts.records,
          row,
          "success",
          `rolled back to ${to.version}: restarted ${restarted.count} kept container(s), removed the new ones`,
        );
      }
      ctx.log(`${restarted.failed} kept container(s) did not come up; rolling back by compose`);
      return finishRollback(row, compose, specs, to.version, opts);
    };
    return settle(row, opts, work());
  });
}

async function finishRollback(
  row: DeploymentRow,
  compose: EnvironmentCompose,
  specs: Awaited<ReturnType<EnvironmentCompose["specs"]>>["specs"],
  version: string,
  opts: ExecutorOptions,
): Promise<DeploymentRow> {
  const result = await runRollout(rolloutContext(row, opts), compose, specs, "rollback");
  if (result.ok) return finish(opts.records, row, "success", `rolled back to ${version}`);
  // A failing rollback pauses: it is never rolled back itself.
  await opts.records.updateDeployment(row.id, { status: "paused", outcome: result.reason });
  throw new DeployError("SLIPWAY_E_DEPLOY_PAUSED", `rollback to ${version} paused: ${result.reason}`);
}

/**
 * A rollout that throws (a compose command failed, the engine went away, the daemon is
 * stopping) would otherwise leave its deployment `running` with the lock already released:
 * it is recorded `interrupted` when cut by the signal, `paused` otherwise. Either way the
 * environment serves whatever was up, and `confirm` or `rollback` finish the job.
 */
async function settle(row: DeploymentRow, opts: ExecutorOptions, work: Promise<DeploymentRow>): Promise<DeploymentRow> {
  try {
    return await work;
  } catch (err) {
    const now = await opts.records.getDeployment(row.id).catch(() => undefined);
    if (now?.status === "running") {
      const cut = opts.signal?.aborted === true;
      const why = (err as Error).message.split("\n")[0];
      await opts.records
        .updateDeployment(row.id, {
          status: cut ? "interrupted" : "paused",
          outcome: cut
            ? "the runner stopped mid-deployment; the environment kept serving; run `slipway confirm` or `slipway rollback`"
            : `${why}; paused: run \`slipway confirm\` or \`slipway rollback\``,
        })
        .catch(() => {});
    }
    throw err;
  }
}

/**
 * Where a rollback goes (pure, newest-first `history`): a paused or interrupted deployment
 * returns to its previous version; otherwise to `version` (a successful one), or by default to
 * the last good version other than the current one. `to` is undefined when there is none.
 */
export function rollbackDestination(
  history: DeploymentRow[],
  version?: string,
): { current?: DeploymentRow; stuck?: DeploymentRow; to?: DeploymentRow } {
  const current = history[0];
  const stuck =
    current &&
    (current.status === "paused" || current.status === "interrupted" || current.status === "awaiting_confirm")
      ? current
      : undefined;
  let to: DeploymentRow | undefined;
  if (version) to = history.find((d) => d.version === version && d.status === "success");
  else if (stuck) to = stuck.previousVersion ? history.find((d) => d.version === stuck.previousVersion) : undefined;
  else to = history.filter((d) => d.status === "success").find((d) => d.version !== current?.version);
  return { current, stuck, to };
}

/**
 * Marks deployments left `running` by a runner that died as `interrupted`: the environment
 * keeps serving whatever mix of old and new containers was up, and `confirm` or `rollback`
 * finishes the job. A deployment is dead when its environment's lock is gone or its lease
 * expired, or when a newer deployment of the environment is running (one at a time). At
 * start-up `holder` is this runner: its own locks are a previous life's. Without `holder`
 * (the daemon's environment operations, at any time) only those facts count, so a live
 * deployment, which always holds a live lease, is never touched.
 */
export async function recoverInterrupted(records: DeploymentStore, holder?: string): Promise<DeploymentRow[]> {
  const recovered: DeploymentRow[] = [];
  const running = await records.listDeploymentsByStatus("running");
  const newest = new Map(running.map((r) => [`${r.repository}/${r.environment}`, r.id]));
  for (const row of running) {
    const key = { repository: row.repository, environment: row.environment };
    const lock = await records.getLock(key);
    const live =
      lock !== undefined && lock.expiresAt > Date.now() && !(holder !== undefined && heldByRunner(lock.holder, holder));
    const superseded = newest.get(`${row.repository}/${row.environment}`) !== row.id;
    if (live && !superseded) continue;
    const updated = await records.updateDeployment(row.id, {
      status: "interrupted",
      outcome:
        "the runner stopped mid-deployment; the environment kept serving; run `slipway confirm` or `slipway rollback`",
    });
    if (lock && !live) await records.releaseLock(key, lock.holder);
    if (updated) recovered.push(updated);
  }
  return recovered;
}

async function carryOut(
  row: DeploymentRow,
  compose: EnvironmentCompose,
  specs: Awaited<ReturnType<EnvironmentCompose["specs"]>>["specs"],
  previous: DeploymentRow | undefined,
  opts: ExecutorOptions,
): Promise<DeploymentRow> {
  const keeper = compose.target.environment.confirmUpgrade
    ? new Keeper(opts.engine, opts.log ?? (() => {}))
    : undefined;
  const ctx = { ...rolloutContext(row, opts), ...(keeper ? { keeper } : {}) };
  let result: Awaited<ReturnType<typeof runRollout>>;
  try {
    result = await runRollout(ctx, compose, specs, "update");
  } catch (err) {
    if (isDeployError(err, "SLIPWAY_E_DEPLOY_BAD_VALUE")) {
      await finish(opts.records, row, "failed", `${err.message}; nothing was changed`);
    } else await keeper?.release(false).catch(() => {});
    throw err;
  }
  if (result.ok) {
    const outcome = result.plan.changed.length === 0 ? "nothing changed" : `changed ${result.plan.changed.join(", ")}`;
    const kept = keeper?.kept() ?? {};
    const count = Object.values(kept).flat().length;
    if (count === 0) return finish(opts.records, row, "success", [outcome, ...result.notes].join("; "));
    const keptNote = `kept ${count} replaced container(s) stopped: \`slipway confirm ${row.environment}\` removes them, \`slipway rollback ${row.environment}\` restarts them`;
    return (
      (await opts.records.updateDeployment(row.id, {
        status: "awaiting_confirm",
        outcome: [outcome, ...result.notes, keptNote].join("; "),
        spec: { ...(row.spec ?? {}), kept },
        finishedAt: Date.now(),
      })) ?? row
    );
  }
  await keeper?.release(result.decision === "rollback" && previous !== undefined);
  if (result.decision === "rollback" && previous) {
    ctx.log(`rolling back to ${previous.version}`);
    const back = compose.withVersion(previous.version, specOf(previous).variables);
    const { specs: prevSpecs } = await back.specs();
    const undo = await runRollout({ ...ctx, keeper: undefined }, back, prevSpecs, "rollback");
    if (undo.ok) {
      await opts.records.updateDeployment(row.id, {
        status: "rolled_back",
        rollbackReason: result.reason,
        outcome: `rolled back to ${previous.version}`,
        finishedAt: Date.now(),
      });
      throw new DeployError("SLIPWAY_E_DEPLOY_ROLLED_BACK", `${result.reason}; rolled back to ${previous.version}`);
    }
    await opts.records.updateDeployment(row.id, {
      status: "paused",
      rollbackReason: result.reason,
      outcome: undo.reason,
    });
    throw new DeployError(
      "SLIPWAY_E_DEPLOY_PAUSED",
      `${result.reason}; the rollback failed too and paused: ${undo.reason}`,
    );
  }
  if (result.decision === "rollback") {
    await finish(opts.records, row, "failed", `${result.reason}; no earlier version to roll back to`);
    throw new DeployError("SLIPWAY_E_DEPLOY_UNHEALTHY", `${result.reason}; no earlier version to roll back to`);
  }
  await opts.records.updateDeployment(row.id, { status: "paused", outcome: result.reason });
  throw new DeployError(
    "SLIPWAY_E_DEPLOY_PAUSED",
    `${result.reason}; paused: run \`slipway confirm ${row.environment}\` to continue or \`slipway rollback ${row.environment}\``,
  );
}

function rolloutContext(row: DeploymentRow, opts: ExecutorOptions): RolloutContext {
  // One batch written at a time, in the order they finish: a first deploy watches every
  // service at once, and two concurrent inserts would both read the same next `seq` under
  // PostgreSQL's read committed (a duplicate-key failure of the whole deployment).
  let written: Promise<unknown> = Promise.resolve();
  return {
    engine: opts.engine,
    log: opts.log ?? (() => {}),
    signal: opts.signal,
    onBatch: (batch) => {
      const next = written.then(() => opts.records.addBatch(row.id, batch));
      written = next.catch(() => {});
      return next.then(() => {});
    },
  };
}

async function finish(
  records: DeploymentStore,
  row: DeploymentRow,
  status: "success" | "failed",
  outcome: string,
): Promise<DeploymentRow> {
  return (await records.updateDeployment(row.id, { status, outcome, finishedAt: Date.now() })) ?? row;
}

/** Every image the target runs must be local or pullable: checked before anything changes. */
async function requireImages(engine: Engine, images: string[], version: string, log: (l: string) => void) {
  const missing: string[] = [];
  for (const image of images) {
    if (await engine.imageId(image)) continue;
    try {
      await engine.ensureImage(image, log);
    } catch (err) {
      missing.push(`${image} (${(err as Error).message.split("\n")[0]})`);
    }
  }
  if (missing.length > 0) {
    throw new DeployError(
      "SLIPWAY_E_DEPLOY_VERSION_MISSING",
      `version ${version} cannot be deployed: not present locally and not in its registry: ${missing.join(", ")}; nothing was changed`,
    );
  }
}

/**
 * Runs `fn` holding the environment's lock. The store's lock is re-entrant per holder (a
 * holder renewing or re-taking its own lease), so every operation takes it under a holder of
 * its own, `<runner id>/<operation>`: two operations of one runner (a deploy stage and an
 * explicit `slipway deploy`, say) exclude each other exactly as two runners do.
 */
async function withLock<T>(key: EnvironmentKey, opts: ExecutorOptions, fn: () => Promise<T>): Promise<T> {
  const lease = opts.leaseMs ?? DEFAULT_LEASE_MS;
  const waitUntil = Date.now() + (opts.lockWaitMs ?? 0);
  const holder = operationHolder(opts.holder);
  for (;;) {
    const got = await opts.records.acquireLock(key, holder, lease);
    if (got.acquired) break;
    if (Date.now() >= waitUntil) {
      throw new DeployError(
        "SLIPWAY_E_DEPLOY_LOCKED",
        `${key.repository}/${key.environment} is being deployed by ${got.heldBy.holder} (since ${new Date(got.heldBy.acquiredAt).toISOString()}); try again when it finishes`,
      );
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  const renew = setInterval(() => {
    opts.records.renewLock(key, holder, lease).catch(() => {});
  }, lease / 3);
  try {
    return await fn();
  } finally {
    clearInterval(renew);
    await opts.records.releaseLock(key, holder).catch(() => {});
  }
}

/** A lock holder for one operation of `runner` (see `withLock`). */
function operationHolder(runner: string): string {
  return `${runner}/${randomBytes(4).toString("hex")}`;
}

/** Whether a lock's holder is `runner` itself or one of its operations. */
function heldByRunner(lockHolder: string, runner: string): boolean {
  return lockHolder === runner || lockHolder.startsWith(`${runner}/`);
}

/** What the blue-green path (deploy/blue-green.ts) shares with this one: the lock and the image check. */
const BLUE_GREEN: ExecutorSupport<ExecutorOptions> = { withLock, requireImages };

async function findSuccess(records: DeploymentStore, key: EnvironmentKey, version: string) {
  return (await records.listDeployments(key, 200)).find((d) => d.version === version && d.status === "success");
}

function keyOf(target: EnvironmentTarget): EnvironmentKey {
  return { repository: target.repository, environment: target.environment.name };
}

function hashesOf(specs: { name: string; hash: string }[]): Record<string, string> {
  return Object.fromEntries(specs.map((s) => [s.name, s.hash]));
}

function specOf(row: DeploymentRow): DeploymentSpec {
  const variables = (row.spec as { variables?: Record<string, string> } | null)?.variables ?? {};
  return { variables };
}
