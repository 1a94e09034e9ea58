import { dependencyOrder } from "./order.js";
import type { ServiceSpec } from "./service-spec.js";
import type { UpdateSettings } from "./settings.js";

/** A container of the running stack, as the planner needs to know it. */
export interface ReplicaState {
  id: string;
  /** Compose's config-hash label: equal to the target's hash when the container is current. */
  hash: string;
  /** Compose's container-number label (replicas are replaced oldest number first). */
  number: number;
}

/** The running stack: containers per service (no entry, or an empty list: not running). */
export type StackState = Record<string, ReplicaState[]>;

export type Step =
  /** Nothing runs yet: bring the whole stack up (`compose up -d`, every service scaled). */
  | { kind: "create"; scale: Record<string, number> }
  /** Let compose create or recreate a service in one go (`up -d --no-deps --scale`). */
  | { kind: "recreate"; service: string; replicas: number }
  /**
   * One batch of a rolling update: start `add` containers of the target config and retire the
   * `remove` ones (start-first: new ones healthy before old ones leave; stop-first: the reverse).
   */
  | {
      kind: "batch";
      service: string;
      batch: number;
      batches: number;
      add: number;
      remove: string[];
      settings: UpdateSettings;
    }
  /** `update_config.delay` between two batches of a service. */
  | { kind: "delay"; service: string; seconds: number };

export interface Plan {
  steps: Step[];
  /** Services whose containers are touched, in the order they change. */
  changed: string[];
  /** Services left exactly as they run. */
  unchanged: string[];
}

export type Phase = "update" | "rollback";

/** A service needs work when a container's hash differs from the target or the count is off. */
export function serviceChanged(spec: ServiceSpec, replicas: ReplicaState[]): boolean {
  return replicas.length !== spec.replicas || replicas.some((r) => r.hash !== spec.hash);
}

/**
 * Plans a deployment (or, with `phase: "rollback"` and the previous version's specs as the
 * target, the rollback of a partial one: only replicas not at the previous config are
 * replaced, with `rollback_config`). `rolling` replaces replicas in batches of `parallelism`;
 * `recreate` lets compose recreate each changed service at once. Services change in
 * `depends_on` order; unchanged services are not touched at all.
 */
export function planDeployment(
  strategy: "rolling" | "recreate",
  state: StackState,
  target: ServiceSpec[],
  phase: Phase = "update",
): Plan {
  const running = Object.values(state).some((list) => list.length > 0);
  const order = dependencyOrder(target);
  const byName = new Map(target.map((s) => [s.name, s]));
  if (!running) {
    const scale = Object.fromEntries(order.map((name) => [name, byName.get(name)?.replicas ?? 1]));
    return { steps: [{ kind: "create", scale }], changed: order, unchanged: [] };
  }
  const steps: Step[] = [];
  const changed: string[] = [];
  const unchanged: string[] = [];
  for (const name of order) {
    const spec = byName.get(name) as ServiceSpec;
    const replicas = state[name] ?? [];
    if (!serviceChanged(spec, replicas)) {
      unchanged.push(name);
      continue;
    }
    changed.push(name);
    if (strategy === "recreate" || replicas.length === 0) {
      steps.push({ kind: "recreate", service: name, replicas: spec.replicas });
      continue;
    }
    steps.push(...rollingSteps(spec, replicas, phase === "update" ? spec.update : spec.rollback));
  }
  return { steps, changed, unchanged };
}

/** Batches for one service: old replicas oldest first, `parallelism` at a time, delays between. */
export function rollingSteps(spec: ServiceSpec, replicas: ReplicaState[], settings: UpdateSettings): Step[] {
  const current = replicas.filter((r) => r.hash === spec.hash);
  const old = replicas.filter((r) => r.hash !== spec.hash).sort((a, b) => a.number - b.number);
  // Scaling down retires surplus current replicas too (after the old ones).
  const surplus = Math.max(0, current.length - spec.replicas);
  const retire = [...old.map((r) => r.id), ...current.slice(0, surplus).map((r) => r.id)];
  let toAdd = Math.max(0, spec.replicas - (current.length - surplus));
  const size = settings.parallelism === 0 ? Math.max(retire.length, toAdd, 1) : settings.parallelism;
  const batches = Math.max(Math.ceil(retire.length / size), Math.ceil(toAdd / size));
  const steps: Step[] = [];
  for (let i = 0; i < batches; i++) {
    const remove = retire.slice(i * size, (i + 1) * size);
    const add = Math.min(size, toAdd);
    toAdd -= add;
    if (i > 0 && settings.delaySeconds > 0)
      steps.push({ kind: "delay", service: spec.name, seconds: settings.delaySeconds });
    steps.push({ kind: "batch", service: spec.name, batch: i + 1, batches, add, remove, settings });
  }
  return steps;
}

/** True when `failed` of a service's `replicas` is more than `max_failure_ratio` tolerates. */
export function exceedsFailureRatio(failed: number, replicas: number, maxFailureRatio: number): boolean {
  if (failed <= 0) return false;
  if (replicas <= 0) return true;
  return failed / replicas > maxFailureRatio;
}

/**
 * What to do when failures exceed the ratio. A failing rollback is never rolled back: it
 * pauses (or continues when its `rollback_config` says so), leaving the choice to a person.
 */
export function failureDecision(phase: Phase, settings: UpdateSettings): "rollback" | "pause" | "continue" {
  if (phase === "rollback") return settings.failureAction === "continue" ? "continue" : "pause";
  return settings.failureAction;
}
