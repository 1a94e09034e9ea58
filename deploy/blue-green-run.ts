import type { Engine } from "../engine/index.js";
import type { BatchInput } from "../store/index.js";
import { type BlueGreenPlan, type BlueGreenStep, COLOURS, type Colour, planBlueGreen } from "./blue-green-plan.js";
import { scaleDown } from "./blue-green-scale-down.js";
import { EnvironmentCompose, type EnvironmentTarget } from "./compose-target.js";
import { type DeployErrorCode, isDeployError } from "./errors.js";
import { type ContainerVerdict, watchContainers } from "./health.js";
import type { Phase } from "./planner.js";
import { ColourProxy, colourAlias, proxyNetworkName } from "./proxy.js";
import type { ServiceSpec } from "./service-spec.js";
import { readStackState, serviceContainerIds } from "./stack-state.js";

export interface BlueGreenContext {
  engine: Engine;
  log: (line: string) => void;
  signal?: AbortSignal;
  /** Called with what each step did and saw (the store records it as the deployment's batches). */
  onBatch?: (batch: BatchInput) => Promise<void>;
  /** Runs `fn` under the environment's lock if it is free right now (the delayed scale-down): false when it was not. */
  whenUnlocked: (fn: () => Promise<void>) => Promise<boolean>;
}

/** One version of a blue-green environment: both colours' compose, their specs, the proxy. */
export interface Colours {
  target: EnvironmentTarget;
  compose: Record<Colour, EnvironmentCompose>;
  specs: Record<Colour, ServiceSpec[]>;
  images: string[];
  proxy: ColourProxy;
}

export type BlueGreenResult =
  | { ok: true; plan: BlueGreenPlan; notes: string[]; switchMs?: number }
  | { ok: false; plan: BlueGreenPlan; reason: string; code: DeployErrorCode };

/** One colour's compose: the user's file as `<project>-<colour>`, its entry service on the proxy network. */
export function openColour(target: EnvironmentTarget, colour: Colour, log: (l: string) => void) {
  const config = target.environment.blueGreen;
  if (!config) throw new Error(`environment ${target.environment.name} has no blue_green settings`);
  return EnvironmentCompose.open({ ...target, project: `${target.project}-${colour}` }, log, {
    service: config.service,
    network: proxyNetworkName(target.project),
    alias: colourAlias(colour),
  });
}

export function proxyFor(engine: Engine, target: EnvironmentTarget, owner: string, log: (l: string) => void) {
  const config = target.environment.blueGreen;
  if (!config) throw new Error(`environment ${target.environment.name} has no blue_green settings`);
  const environment = `${target.repository}/${target.environment.name}`;
  return new ColourProxy(engine, { project: target.project, environment, config, owner }, log);
}

/** Opens `<project>-blue` and `<project>-green` at the target's version and reads their specs. */
export async function openColours(
  engine: Engine,
  target: EnvironmentTarget,
  owner: string,
  log: (l: string) => void,
): Promise<Colours> {
  const [blue, green] = await Promise.all([openColour(target, "blue", log), openColour(target, "green", log)]);
  const [b, g] = await Promise.all([blue.specs(), green.specs()]);
  const proxy = proxyFor(engine, target, owner, log);
  return { target, compose: { blue, green }, specs: { blue: b.specs, green: g.specs }, images: b.images, proxy };
}

export interface PlannedBlueGreen {
  plan: BlueGreenPlan;
  proxyId?: string;
}

/** Reads what runs (the proxy's colour, both stacks) and plans: before the deployment is recorded, so it names its colour. */
export async function planColours(engine: Engine, colours: Colours, phase: Phase): Promise<PlannedBlueGreen> {
  const info = await colours.proxy.inspect();
  const stacks = Object.fromEntries(
    await Promise.all(COLOURS.map(async (c) => [c, await readStackState(engine, colours.compose[c].target.project)])),
  ) as Record<Colour, Awaited<ReturnType<typeof readStackState>>>;
  const config = colours.target.environment.blueGreen;
  const plan = planBlueGreen(
    { proxy: info.current, ...(info.active ? { active: info.active } : {}), stacks },
    {
      specs: colours.specs,
      smoke: (config?.smoke?.length ?? 0) > 0,
      scaleDownAfterSeconds: config?.scaleDownAfterSeconds ?? 0,
    },
    phase,
  );
  return { plan, ...(info.id ? { proxyId: info.id } : {}) };
}

export async function runBlueGreen(
  ctx: BlueGreenContext,
  colours: Colours,
  phase: Phase,
  planned: PlannedBlueGreen,
): Promise<BlueGreenResult> {
  const { proxy } = colours;
  const { plan } = planned;
  ctx.log(
    `${phase} ${colours.target.project} to ${colours.target.version}: ${plan.steps.length === 0 ? `${plan.colour} already serves it` : plan.steps.map((s) => s.kind).join(" → ")}`,
  );
  let proxyId = planned.proxyId;
  let broughtUp: Colour | undefined;
  let switchMs: number | undefined;
  const notes: string[] = [];
  const switchAt = plan.steps.findIndex((s) => s.kind === "switch");
  for (const [index, step] of plan.steps.entries()) {
    try {
      ctx.signal?.throwIfAborted();
      if (step.kind === "proxy") proxyId = await proxy.ensure(step.active);
      else if (step.kind === "up") {
        broughtUp = step.colour;
        await colours.compose[step.colour].run(
          { kind: "up", services: [], scale: step.scale },
          `compose up of ${colours.compose[step.colour].target.project}`,
        );
      } else if (step.kind === "health") {
        const failed = await checkHealth(ctx, colours, step, phase, plan.reused);
        if (failed) return await fail(ctx, colours, plan, broughtUp, failed, "SLIPWAY_E_DEPLOY_UNHEALTHY");
      } else if (step.kind === "smoke") {
        const failed = await smoke(ctx, colours, step.colour);
        if (failed) return await fail(ctx, colours, plan, broughtUp, failed, "SLIPWAY_E_DEPLOY_SMOKE_FAILED");
      } else if (step.kind === "switch") {
        switchMs = await doSwitch(ctx, colours, proxyId as string, step, phase);
        notes.push(`switched ${step.from ?? "(nothing)"} → ${step.to} in ${switchMs} ms`);
      } else {
        const drain = Math.max(0, ...colours.specs[step.colour].map((s) => s.update.drainSeconds));
        const old = colours.compose[step.colour];
        notes.push(await scaleDown(ctx, old, colours.proxy, proxyId as string, step, drain));
      }
    } catch (err) {
      // Up to and including a switch that did not happen, nothing reached users.
      if (isDeployError(err) && switchAt >= 0 && index <= switchAt) {
        return await fail(ctx, colours, plan, broughtUp, err.message, err.code);
      }
      if (step.kind === "scale-down") {
        notes.push(`scale-down of ${step.colour} failed: ${(err as Error).message}`);
        continue;
      }
      throw err;
    }
  }
  return { ok: true, plan, notes, ...(switchMs !== undefined ? { switchMs } : {}) };
}

/** Health of every container of the colour, watched at once; the reason when one failed. */
async function checkHealth(
  ctx: BlueGreenContext,
  colours: Colours,
  step: Extract<BlueGreenStep, { kind: "health" }>,
  phase: Phase,
  reused: boolean,
): Promise<string | undefined> {
  const project = colours.compose[step.colour].target.project;
  const specs = new Map(colours.specs[step.colour].map((s) => [s.name, s]));
  const started = Date.now();
  const failures: string[] = [];
  await Promise.all(
    step.services.map(async (service) => {
      const spec = specs.get(service) as ServiceSpec;
      const ids = await serviceContainerIds(ctx.engine, project, service);
      const settings = phase === "update" ? spec.update : spec.rollback;
      // A colour that is still up from its own deployment was watched then: now it only has to be healthy.
      const monitor = reused ? 0 : settings.monitorSeconds;
      const verdicts = await watchContainers(ctx.engine, ids, spec.health, monitor, ctx.signal);
      const bad = verdicts.filter((v) => !isOk(v));
      failures.push(...bad.map((v) => `${service} ${v.id.slice(0, 12)} ${v.state}: ${v.detail}`));
      await ctx.onBatch?.({
        phase,
        service: `${step.colour}/${service}`,
        batch: 1,
        batches: 1,
        added: ids,
        removed: [],
        status: bad.length === 0 ? "success" : "failed",
        health: verdicts.map((v) => ({ id: v.id, state: v.state, detail: v.detail })),
        startedAt: started,
        finishedAt: Date.now(),
      });
    }),
  );
  return failures.length === 0 ? undefined : `${step.colour} is not healthy: ${failures.join("; ")}`;
}

/** Runs `blue_green.smoke` in a container of the entry service of the new colour. */
async function smoke(ctx: BlueGreenContext, colours: Colours, colour: Colour): Promise<string | undefined> {
  const config = colours.target.environment.blueGreen;
  const command = config?.smoke ?? [];
  if (!config || command.length === 0) return undefined;
  const project = colours.compose[colour].target.project;
  const ids = await serviceContainerIds(ctx.engine, project, config.service);
  let id: string | undefined;
  for (const candidate of ids) {
    if ((await ctx.engine.inspectContainer(candidate).catch(() => undefined))?.running) id = candidate;
  }
  if (!id) return `smoke: no running ${config.service} container in ${project}`;
  // One string is a shell command line; a list is an argv (as compose's `command:`).
  const argv = command.length === 1 ? ["sh", "-c", command[0] as string] : command;
  const env = {
    SLIPWAY_ENV: colours.target.environment.name,
    SLIPWAY_COLOUR: colour,
    SLIPWAY_NEW_VERSION: colours.target.version,
  };
  const started = Date.now();
  const res = await ctx.engine.execInContainer(id, argv, { env, timeoutMs: 120_000 });
  const tail = `${res.stdout}\n${res.stderr}`.trim().split("\n").slice(-5).join(" | ");
  ctx.log(`smoke on ${colour}: exit ${res.exitCode} in ${Date.now() - started} ms${tail ? `: ${tail}` : ""}`);
  return res.exitCode === 0 ? undefined : `smoke command failed on ${colour} (exit ${res.exitCode}): ${tail}`;
}

async function doSwitch(
  ctx: BlueGreenContext,
  colours: Colours,
  proxyId: string,
  step: Extract<BlueGreenStep, { kind: "switch" }>,
  phase: Phase,
): Promise<number> {
  const started = Date.now();
  const up = await colours.proxy.waitServing(proxyId, step.to, 30_000, ctx.signal);
  const at = Date.now();
  let ms: number;
  try {
    ms = await colours.proxy.switchTo(proxyId, step.to);
  } catch (err) {
    // Only a switch that did not take effect is a failure (then the new colour may be taken down).
    if ((await colours.proxy.active(proxyId).catch(() => undefined)) !== step.to) throw err;
    ctx.log(`switched to ${step.to}, with a warning: ${(err as Error).message}`);
    ms = Date.now() - at;
  }
  ctx.log(`switched ${step.from ?? "(nothing)"} → ${step.to} (${up} server(s) up) in ${ms} ms`);
  await ctx.onBatch?.({
    phase,
    service: "proxy",
    batch: 1,
    batches: 1,
    added: [],
    removed: [],
    status: "success",
    health: [{ id: proxyId, state: "switched", detail: `${step.from ?? "none"} → ${step.to} in ${ms} ms` }],
    startedAt: started,
    finishedAt: Date.now(),
  });
  return ms;
}

async function fail(
  ctx: BlueGreenContext,
  colours: Colours,
  plan: BlueGreenPlan,
  broughtUp: Colour | undefined,
  reason: string,
  code: DeployErrorCode,
): Promise<BlueGreenResult> {
  ctx.log(`${reason}; traffic stays where it was`);
  // A colour this deployment brought up serves nobody; a reused one keeps its old version for a rollback.
  if (broughtUp) {
    await colours.compose[broughtUp]
      .run({ kind: "down", stopTimeoutSeconds: 1 }, `compose down of ${colours.compose[broughtUp].target.project}`)
      .catch((err: Error) => ctx.log(`could not take ${broughtUp} down: ${err.message}`));
  }
  return { ok: false, plan, reason, code };
}

function isOk(v: ContainerVerdict): boolean {
  return v.state === "healthy" || v.state === "running";
}
