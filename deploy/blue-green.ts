import type { Engine } from "../engine/index.js";
import type { DeploymentRow, DeploymentStore, DeploymentTrigger, EnvironmentKey } from "../store/index.js";
import { hookCompose } from "./blue-green-hooks.js";
import { COLOURS } from "./blue-green-plan.js";
import {
  type BlueGreenContext,
  type Colours,
  openColour,
  openColours,
  type PlannedBlueGreen,
  planColours,
  proxyFor,
  runBlueGreen,
} from "./blue-green-run.js";
import { cancelScaleDown, scaleDown } from "./blue-green-scale-down.js";
import { canSwitchBack, type SwitchBack } from "./blue-green-switch-back.js";
import type { EnvironmentTarget } from "./compose-target.js";
import { DeployError, isDeployError } from "./errors.js";
import { withHooks } from "./hooks.js";
import type { Phase } from "./planner.js";

/** What the blue-green path needs of the executor's options (a structural subset of ExecutorOptions). */
export interface BlueGreenOptions {
  engine: Engine;
  records: DeploymentStore;
  holder: string;
  log?: (line: string) => void;
  signal?: AbortSignal;
  trigger?: DeploymentTrigger;
  actor?: string;
  runId?: string;
}

/** The executor's shared machinery, handed in so this module does not import executor.ts (no cycle). */
export interface ExecutorSupport<O extends BlueGreenOptions> {
  withLock<T>(key: EnvironmentKey, opts: O, fn: () => Promise<T>): Promise<T>;
  requireImages(engine: Engine, images: string[], version: string, log: (l: string) => void): Promise<void>;
}

/** What `spec` of a blue-green deployment row holds: the version's variables and the colour it went to. */
interface BlueGreenSpec {
  variables: Record<string, string>;
  colour?: string;
  /** The colour's compose config hashes per service (what `status` matches containers against). */
  hashes?: Record<string, string>;
}

/**
 * Blue-green `deploy`: refuses missing images before anything changes, then under the
 * environment's lock records the deployment (strategy `blue-green`, its colour in `spec`),
 * runs the pre_deploy hook (in the serving colour's project), deploys to the idle colour,
 * checks it, switches, and runs the post_deploy hook (in the new colour's project). A failure
 * before the switch is recorded as `failed` with its reason and thrown with its code; users
 * never left the serving colour. Hooks behave as under rolling (deploy/hooks.ts withHooks).
 */
export async function deployBlueGreen<O extends BlueGreenOptions>(
  target: EnvironmentTarget,
  opts: O,
  support: ExecutorSupport<O>,
  resume?: DeploymentRow,
): Promise<DeploymentRow> {
  const log = opts.log ?? (() => {});
  const colours = await openColours(opts.engine, target, opts.holder, log);
  await support.requireImages(opts.engine, colours.images, target.version, log);
  const key = keyOf(target);
  return support.withLock(key, opts, async () => {
    const previous = await opts.records.latestDeployment(key, ["success"]);
    const planned = await planColours(opts.engine, colours, "update");
    const row =
      resume ??
      (await opts.records.createDeployment({
        ...key,
        version: target.version,
        previousVersion: previous?.version ?? null,
        strategy: "blue-green",
        trigger: opts.trigger ?? "cli",
        actor: opts.actor ?? null,
        runId: opts.runId ?? null,
        spec: {
          variables: target.variables,
          colour: planned.plan.colour,
          hashes: hashesOf(colours, planned),
        } satisfies BlueGreenSpec,
      }));
    if (resume) {
      // `confirm` continues a deployment whose pre_deploy hook already ran: no hooks.
      await opts.records.updateDeployment(row.id, { status: "running" });
      return carryOut(row, colours, "update", planned, opts, support);
    }
    return withHooks(
      {
        records: opts.records,
        row,
        previous,
        hooks: target.environment.hooks,
        composeFor: (name) => hookCompose(colours, planned.plan, name),
        log: opts.log,
        signal: opts.signal,
      },
      () => carryOut(row, colours, "update", planned, opts, support),
    );
  });
}

/**
 * Blue-green `rollback` to `to` (a successful deployment): when the other colour still runs
 * that version (inside `scale_down_after`), it is a health check and one switch; otherwise
 * that version is deployed to the idle colour first, exactly like a deploy.
 */
export async function rollbackBlueGreen<O extends BlueGreenOptions>(
  target: EnvironmentTarget,
  opts: O,
  support: ExecutorSupport<O>,
  to: DeploymentRow,
  current: DeploymentRow | undefined,
  stuck: DeploymentRow | undefined,
): Promise<DeploymentRow> {
  const log = opts.log ?? (() => {});
  const back = { ...target, version: to.version, variables: specOf(to).variables };
  const proxy = proxyFor(opts.engine, back, opts.holder, log);
  return support.withLock(keyOf(target), opts, async () => {
    if (stuck) {
      await opts.records.updateDeployment(stuck.id, {
        status: "rolled_back",
        rollbackReason: `rollback requested by ${opts.actor ?? "an operator"}`,
        finishedAt: Date.now(),
      });
    }
    const record = (spec: BlueGreenSpec) =>
      opts.records.createDeployment({
        ...keyOf(target),
        version: to.version,
        previousVersion: current?.version ?? null,
        strategy: "blue-green",
        trigger: "rollback",
        actor: opts.actor ?? null,
        rollbackOf: current?.id ?? null,
        spec: { ...spec },
      });
    const quick = await canSwitchBack(opts.engine, proxy, target.project, to);
    if (quick) {
      const spec = { variables: specOf(to).variables, colour: quick.to, hashes: specOf(to).hashes ?? {} };
      return switchBack(await record(spec), back, quick, opts, support);
    }
    const colours = await openColours(opts.engine, back, opts.holder, log);
    await support.requireImages(opts.engine, colours.images, to.version, log);
    const planned = await planColours(opts.engine, colours, "rollback");
    const spec = { variables: specOf(to).variables, colour: planned.plan.colour, hashes: hashesOf(colours, planned) };
    return carryOut(await record(spec), colours, "rollback", planned, opts, support);
  });
}

/**
 * The instant rollback: the proxy sees the old colour's servers up, one `set map`, recorded;
 * only then is the compose file resolved again, to schedule the scale-down of the colour
 * that was just left.
 */
async function switchBack<O extends BlueGreenOptions>(
  row: DeploymentRow,
  back: EnvironmentTarget,
  quick: SwitchBack,
  opts: O,
  support: ExecutorSupport<O>,
): Promise<DeploymentRow> {
  const log = opts.log ?? (() => {});
  const proxy = proxyFor(opts.engine, back, opts.holder, log);
  cancelScaleDown(`${back.project}-${quick.to}`);
  const started = Date.now();
  let ms: number;
  try {
    await proxy.waitServing(quick.proxyId, quick.to, 10_000, opts.signal);
    ms = await proxy.switchTo(quick.proxyId, quick.to);
  } catch (err) {
    const switched = (await proxy.active(quick.proxyId).catch(() => undefined)) === quick.to;
    if (!switched) {
      const reason = `switch back to ${quick.to} failed: ${(err as Error).message}; ${quick.from} keeps serving`;
      await opts.records.updateDeployment(row.id, { status: "failed", outcome: reason, finishedAt: Date.now() });
      throw isDeployError(err) ? new DeployError(err.code, reason) : err;
    }
    ms = Date.now() - started;
  }
  log(`switched back ${quick.from} → ${quick.to} in ${ms} ms (the old colour was still up: nothing redeployed)`);
  await opts.records.addBatch(row.id, {
    phase: "rollback",
    service: "proxy",
    batch: 1,
    batches: 1,
    added: [],
    removed: [],
    status: "success",
    health: [{ id: quick.proxyId, state: "switched", detail: `${quick.from} → ${quick.to} in ${ms} ms` }],
    startedAt: started,
    finishedAt: Date.now(),
  });
  const notes = [`${row.version} serves on ${quick.to}`, `switched back ${quick.from} → ${quick.to} in ${ms} ms`];
  try {
    const left = await openColour(back, quick.from, log);
    const drain = back.environment.update.drainSeconds ?? 2;
    const delay = back.environment.blueGreen?.scaleDownAfterSeconds ?? 0;
    notes.push(
      await scaleDown(
        { log, whenUnlocked: unlockedRunner(back, opts, support) },
        left,
        proxy,
        quick.proxyId,
        { colour: quick.from, afterSeconds: delay },
        drain,
      ),
    );
  } catch (err) {
    notes.push(`scale-down of ${quick.from} not scheduled: ${(err as Error).message}`);
  }
  const outcome = notes.join("; ");
  return (await opts.records.updateDeployment(row.id, { status: "success", outcome, finishedAt: Date.now() })) ?? row;
}

/**
 * Runs `fn` under the environment's lock when it is free now; a running deployment wins (it
 * plans for itself). The scale-down is an operation of its own (`withLock` gives each one its
 * own holder), so during this runner's own deployment it finds the lock taken and waits.
 */
function unlockedRunner<O extends BlueGreenOptions>(target: EnvironmentTarget, opts: O, support: ExecutorSupport<O>) {
  return async (fn: () => Promise<void>) => {
    const own = { ...opts, lockWaitMs: 0 };
    return support
      .withLock(keyOf(target), own, async () => {
        await fn();
        return true;
      })
      .catch((err: unknown) => {
        if (isDeployError(err, "SLIPWAY_E_DEPLOY_LOCKED")) return false;
        throw err;
      });
  };
}

async function carryOut<O extends BlueGreenOptions>(
  row: DeploymentRow,
  colours: Colours,
  phase: Phase,
  planned: PlannedBlueGreen,
  opts: O,
  support: ExecutorSupport<O>,
): Promise<DeploymentRow> {
  for (const c of COLOURS) cancelScaleDown(colours.compose[c].target.project);
  // One batch written at a time: the health of every service is watched at once, and two
  // concurrent inserts read the same next `seq` on PostgreSQL (see rolloutContext in executor.ts).
  let written: Promise<unknown> = Promise.resolve();
  const ctx: BlueGreenContext = {
    engine: opts.engine,
    log: opts.log ?? (() => {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
    onBatch: (batch) => {
      const next = written.then(() => opts.records.addBatch(row.id, batch));
      written = next.catch(() => {});
      return next.then(() => {});
    },
    // The delayed scale-down: retried later (not waited for) when a deployment holds the environment.
    whenUnlocked: unlockedRunner(colours.target, opts, support),
  };
  const result = await runBlueGreen(ctx, colours, phase, planned).catch(async (err: unknown) => {
    // Thrown (not a failed check): the engine went away, the runner is stopping, ... The row
    // must not stay `running` once the lock is released; users are on whatever the proxy serves.
    const cut = opts.signal?.aborted === true;
    await opts.records
      .updateDeployment(row.id, {
        status: cut ? "interrupted" : "failed",
        outcome: `${(err as Error).message.split("\n")[0]}; the proxy keeps serving the colour it served${cut ? "; run `slipway confirm` or `slipway rollback`" : ""}`,
        ...(cut ? {} : { finishedAt: Date.now() }),
      })
      .catch(() => {});
    throw err;
  });
  if (result.ok) {
    const what = result.plan.steps.length === 0 ? `${result.plan.colour} already serves ${row.version}` : "";
    const outcome = [what || `${row.version} serves on ${result.plan.colour}`, ...result.notes].join("; ");
    return (await opts.records.updateDeployment(row.id, { status: "success", outcome, finishedAt: Date.now() })) ?? row;
  }
  const from = result.plan.steps.find((s) => s.kind === "switch");
  const stays = from?.kind === "switch" && from.from ? `${from.from} keeps serving` : "nothing was switched";
  await opts.records.updateDeployment(row.id, {
    status: "failed",
    outcome: `${result.reason}; ${stays}`,
    rollbackReason: phase === "rollback" ? result.reason : null,
    finishedAt: Date.now(),
  });
  throw new DeployError(result.code, `${result.reason}; ${stays}`);
}

function hashesOf(colours: Colours, planned: PlannedBlueGreen): Record<string, string> {
  return Object.fromEntries(colours.specs[planned.plan.colour].map((s) => [s.name, s.hash]));
}

function keyOf(target: EnvironmentTarget): EnvironmentKey {
  return { repository: target.repository, environment: target.environment.name };
}

function specOf(row: DeploymentRow): BlueGreenSpec {
  const spec = (row.spec ?? {}) as { variables?: Record<string, string>; hashes?: Record<string, string> };
  return { variables: spec.variables ?? {}, ...(spec.hashes ? { hashes: spec.hashes } : {}) };
}
