import type { Engine } from "../engine/index.js";
import type { DeploymentRow, DeploymentStore, DeploymentTrigger, EnvironmentKey } from "../store/index.js";
import { COLOURS } from "./blue-green-plan.js";
import {
  type BlueGreenContext,
  type Colours,
  cancelScaleDown,
  openColours,
  type PlannedBlueGreen,
  planColours,
  runBlueGreen,
} from "./blue-green-run.js";
import type { EnvironmentTarget } from "./compose-target.js";
import { DeployError, isDeployError } from "./errors.js";
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
}

/**
 * Blue-green `deploy`: refuses missing images before anything changes, then under the
 * environment's lock records the deployment (strategy `blue-green`, its colour in `spec`),
 * deploys to the idle colour, checks it and switches. A failure before the switch is recorded
 * as `failed` with its reason and thrown with its code; users never left the serving colour.
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
        spec: { variables: target.variables, colour: planned.plan.colour } satisfies BlueGreenSpec,
      }));
    if (resume) await opts.records.updateDeployment(row.id, { status: "running" });
    return carryOut(row, colours, "update", planned, opts, support);
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
  const colours = await openColours(opts.engine, back, opts.holder, log);
  await support.requireImages(opts.engine, colours.images, to.version, log);
  return support.withLock(keyOf(target), opts, async () => {
    if (stuck) {
      await opts.records.updateDeployment(stuck.id, {
        status: "rolled_back",
        rollbackReason: `rollback requested by ${opts.actor ?? "an operator"}`,
        finishedAt: Date.now(),
      });
    }
    const planned = await planColours(opts.engine, colours, "rollback");
    const row = await opts.records.createDeployment({
      ...keyOf(target),
      version: to.version,
      previousVersion: current?.version ?? null,
      strategy: "blue-green",
      trigger: "rollback",
      actor: opts.actor ?? null,
      rollbackOf: current?.id ?? null,
      spec: { variables: specOf(to).variables, colour: planned.plan.colour } satisfies BlueGreenSpec,
    });
    return carryOut(row, colours, "rollback", planned, opts, support);
  });
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
  const ctx: BlueGreenContext = {
    engine: opts.engine,
    log: opts.log ?? (() => {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
    onBatch: async (batch) => {
      await opts.records.addBatch(row.id, batch);
    },
    whenUnlocked: async (fn) => {
      // The delayed scale-down: skipped (not waited for) when a deployment holds the environment.
      await support.withLock(keyOf(colours.target), { ...opts, lockWaitMs: 0 }, fn).catch((err: unknown) => {
        if (!isDeployError(err, "SLIPWAY_E_DEPLOY_LOCKED")) throw err;
      });
    },
  };
  const result = await runBlueGreen(ctx, colours, phase, planned);
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

function keyOf(target: EnvironmentTarget): EnvironmentKey {
  return { repository: target.repository, environment: target.environment.name };
}

function specOf(row: DeploymentRow): BlueGreenSpec {
  const variables = (row.spec as { variables?: Record<string, string> } | null)?.variables ?? {};
  return { variables };
}
