import { dependencyOrder } from "./order.js";
import { type Phase, type StackState, serviceChanged } from "./planner.js";
import type { ServiceSpec } from "./service-spec.js";

/** The two copies of a blue-green environment: compose projects `<project>-blue` and `<project>-green`. */
export type Colour = "blue" | "green";
export const COLOURS: readonly Colour[] = ["blue", "green"];

export function otherColour(colour: Colour): Colour {
  return colour === "blue" ? "green" : "blue";
}

/** What runs now, as the blue-green planner needs to know it. */
export interface BlueGreenState {
  /** Whether the environment's proxy container runs with the current configuration (else it is (re)created). */
  proxy: boolean;
  /** The colour the proxy sends traffic to; undefined when there is no proxy (or it cannot say). */
  active?: Colour;
  /** Containers of each colour's compose project. */
  stacks: Record<Colour, StackState>;
}

export interface BlueGreenTarget {
  /** The target version's services per colour (compose's config hash includes the project name). */
  specs: Record<Colour, ServiceSpec[]>;
  /** A smoke command is configured. */
  smoke: boolean;
  scaleDownAfterSeconds: number;
}

export type BlueGreenStep =
  /** Create (or recreate, keeping `active`) the proxy and its network before any colour needs them. */
  | { kind: "proxy"; active?: Colour }
  /** `compose up -d` of the whole idle colour at the target version, every service scaled. */
  | { kind: "up"; colour: Colour; scale: Record<string, number> }
  /** Wait until every container of the colour is healthy (or running, without a healthcheck) and stays so for `monitor`. */
  | { kind: "health"; colour: Colour; services: string[] }
  | { kind: "smoke"; colour: Colour }
  /** Point the proxy at `to`: new requests go there, requests in flight on `from` finish there. */
  | { kind: "switch"; from?: Colour; to: Colour }
  /** Take the old colour down after `afterSeconds` (0: at once); until then `rollback` switches back instantly. */
  | { kind: "scale-down"; colour: Colour; afterSeconds: number };

export interface BlueGreenPlan {
  steps: BlueGreenStep[];
  /** The colour that serves when the plan succeeds. */
  colour: Colour;
  /** The idle colour already ran the target (a rollback inside the scale-down delay): nothing is redeployed. */
  reused: boolean;
}

/**
 * Plans a blue-green deployment (or, with `phase: "rollback"`, a switch back). The new
 * version goes to the colour that does not serve; it must be healthy (and pass the smoke
 * command) before the switch, so a failure anywhere before `switch` leaves users on the
 * current colour. When the idle colour still runs exactly the target (its containers match
 * the target's config hashes and are up), it is not redeployed: that is the instant rollback.
 * When the serving colour already runs the target, nothing changes at all.
 */
export function planBlueGreen(state: BlueGreenState, target: BlueGreenTarget, phase: Phase = "update"): BlueGreenPlan {
  const active = state.active;
  const steps: BlueGreenStep[] = state.proxy ? [] : [{ kind: "proxy", ...(active ? { active } : {}) }];
  if (active && runsTarget(state.stacks[active], target.specs[active])) {
    return { steps, colour: active, reused: true };
  }
  // First deployment (or the proxy was lost with what it knew): blue, whatever may still run.
  const idle = active ? otherColour(active) : "blue";
  const order = dependencyOrder(target.specs[idle]);
  const reused = runsTarget(state.stacks[idle], target.specs[idle]);
  if (!reused) {
    const replicas = new Map(target.specs[idle].map((s) => [s.name, s.replicas]));
    steps.push({ kind: "up", colour: idle, scale: Object.fromEntries(order.map((n) => [n, replicas.get(n) ?? 1])) });
  }
  steps.push({ kind: "health", colour: idle, services: order });
  // A colour that already served this version and is still up passed its smoke test then;
  // switching back to it must be instant.
  if (target.smoke && !(reused && phase === "rollback")) steps.push({ kind: "smoke", colour: idle });
  steps.push({ kind: "switch", ...(active ? { from: active } : {}), to: idle });
  if (active && isRunning(state.stacks[active])) {
    steps.push({ kind: "scale-down", colour: active, afterSeconds: target.scaleDownAfterSeconds });
  }
  return { steps, colour: idle, reused };
}

/** Every service at the target's config and replica count, every container up and not unhealthy. */
function runsTarget(stack: StackState, specs: ServiceSpec[]): boolean {
  if (specs.length === 0) return false;
  return specs.every((spec) => !serviceChanged(spec, stack[spec.name] ?? []));
}

function isRunning(stack: StackState): boolean {
  return Object.values(stack).some((list) => list.length > 0);
}
