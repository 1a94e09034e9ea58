import { describe, expect, it } from "vitest";
import {
  exceedsFailureRatio,
  failureDecision,
  planDeployment,
  type ReplicaState,
  type ServiceSpec,
  type StackState,
  type Step,
  SWARM_DEFAULTS,
} from "../../../deploy/index.js";

function spec(name: string, hash: string, over: Partial<ServiceSpec> = {}): ServiceSpec {
  return {
    name,
    hash,
    replicas: 1,
    dependsOn: [],
    fixedHostPorts: [],
    update: { ...SWARM_DEFAULTS },
    rollback: { ...SWARM_DEFAULTS },
    ...over,
  };
}

function replicas(service: string, hash: string, count: number, from = 1): ReplicaState[] {
  return Array.from({ length: count }, (_, i) => ({ id: `${service}-${hash}-${from + i}`, hash, number: from + i }));
}

/** A compact picture of a plan: `svc#batch/of +add -removed` and `delay Ns`. */
function show(steps: Step[]): string[] {
  return steps.map((s) => {
    if (s.kind === "batch") return `${s.service}#${s.batch}/${s.batches} +${s.add} -${s.remove.join(",") || "none"}`;
    if (s.kind === "delay") return `delay ${s.seconds}s`;
    if (s.kind === "recreate") return `recreate ${s.service} x${s.replicas}`;
    return `create ${JSON.stringify(s.scale)}`;
  });
}

describe("rolling planner", () => {
  it("first deploy creates the whole stack, scaled, in depends_on order", () => {
    const target = [spec("app", "h2", { replicas: 3, dependsOn: ["db"] }), spec("db", "d1")];
    const plan = planDeployment("rolling", {}, target);
    expect(show(plan.steps)).toEqual(['create {"db":1,"app":3}']);
    expect(plan.changed).toEqual(["db", "app"]);
  });

  const rows: {
    name: string;
    parallelism: number;
    delay: number;
    current: number;
    replicas: number;
    want: string[];
  }[] = [
    {
      name: "3 replicas, parallelism 1, delay 1s",
      parallelism: 1,
      delay: 1,
      current: 3,
      replicas: 3,
      want: ["app#1/3 +1 -app-h1-1", "delay 1s", "app#2/3 +1 -app-h1-2", "delay 1s", "app#3/3 +1 -app-h1-3"],
    },
    {
      name: "5 replicas, parallelism 2 (last batch is short)",
      parallelism: 2,
      delay: 0,
      current: 5,
      replicas: 5,
      want: ["app#1/3 +2 -app-h1-1,app-h1-2", "app#2/3 +2 -app-h1-3,app-h1-4", "app#3/3 +1 -app-h1-5"],
    },
    {
      name: "parallelism 0 replaces all at once",
      parallelism: 0,
      delay: 5,
      current: 3,
      replicas: 3,
      want: ["app#1/1 +3 -app-h1-1,app-h1-2,app-h1-3"],
    },
    {
      name: "scale up while updating: 2 old -> 4 new",
      parallelism: 2,
      delay: 0,
      current: 2,
      replicas: 4,
      want: ["app#1/2 +2 -app-h1-1,app-h1-2", "app#2/2 +2 -none"],
    },
    {
      name: "scale down while updating: 3 old -> 1 new",
      parallelism: 1,
      delay: 0,
      current: 3,
      replicas: 1,
      want: ["app#1/3 +1 -app-h1-1", "app#2/3 +0 -app-h1-2", "app#3/3 +0 -app-h1-3"],
    },
  ];
  it.each(rows)("$name", ({ parallelism, delay, current, replicas: n, want }) => {
    const target = [
      spec("app", "h2", { replicas: n, update: { ...SWARM_DEFAULTS, parallelism, delaySeconds: delay } }),
    ];
    const plan = planDeployment("rolling", { app: replicas("app", "h1", current) }, target);
    expect(show(plan.steps)).toEqual(want);
  });

  it("touches only services whose image or config hash changed (the database keeps running)", () => {
    const state: StackState = {
      db: replicas("db", "d1", 1),
      app: replicas("app", "h1", 2),
      lb: replicas("lb", "l1", 1),
    };
    const target = [
      spec("lb", "l1", { dependsOn: ["app"] }),
      spec("app", "h2", { replicas: 2, dependsOn: ["db"] }),
      spec("db", "d1"),
    ];
    const plan = planDeployment("rolling", state, target);
    expect(plan.changed).toEqual(["app"]);
    expect(plan.unchanged).toEqual(["db", "lb"]);
    expect(plan.steps.every((s) => s.kind !== "create" && s.service === "app")).toBe(true);
  });

  it("changes services in depends_on order, whatever the file order", () => {
    const state: StackState = { a: replicas("a", "1", 1), b: replicas("b", "1", 1), c: replicas("c", "1", 1) };
    const target = [spec("a", "2", { dependsOn: ["b"] }), spec("b", "2", { dependsOn: ["c"] }), spec("c", "2")];
    expect(planDeployment("rolling", state, target).changed).toEqual(["c", "b", "a"]);
  });

  it("refuses a depends_on cycle with a coded error", () => {
    const target = [spec("a", "2", { dependsOn: ["b"] }), spec("b", "2", { dependsOn: ["a"] })];
    expect(() => planDeployment("rolling", {}, target)).toThrow(
      expect.objectContaining({ code: "SLIPWAY_E_DEPLOY_DEPENDENCY_CYCLE" }),
    );
  });

  it("recreate strategy: one compose recreate per changed service", () => {
    const state: StackState = { db: replicas("db", "d1", 1), app: replicas("app", "h1", 2) };
    const target = [spec("app", "h2", { replicas: 2, dependsOn: ["db"] }), spec("db", "d1")];
    expect(show(planDeployment("recreate", state, target).steps)).toEqual(["recreate app x2"]);
  });

  it("a service new in the target is created, not rolled", () => {
    const state: StackState = { app: replicas("app", "h1", 1) };
    const target = [spec("app", "h1"), spec("worker", "w1", { replicas: 2 })];
    expect(show(planDeployment("rolling", state, target).steps)).toEqual(["recreate worker x2"]);
  });
});

describe("rollback of a partial rollout", () => {
  it("sends back only the replaced replicas, with rollback_config", () => {
    // 4 replicas, 2 of them already replaced by the new version h2 when the rollout failed.
    const state: StackState = { app: [...replicas("app", "h1", 2, 3), ...replicas("app", "h2", 2, 5)] };
    const previous = [
      spec("app", "h1", {
        replicas: 4,
        update: { ...SWARM_DEFAULTS, parallelism: 1 },
        rollback: { ...SWARM_DEFAULTS, parallelism: 2, delaySeconds: 0 },
      }),
    ];
    const plan = planDeployment("rolling", state, previous, "rollback");
    expect(show(plan.steps)).toEqual(["app#1/1 +2 -app-h2-5,app-h2-6"]);
    const batch = plan.steps[0] as Extract<Step, { kind: "batch" }>;
    expect(batch.settings.parallelism).toBe(2);
  });

  it("has nothing to do when no replica was replaced yet", () => {
    const state: StackState = { app: replicas("app", "h1", 3) };
    const plan = planDeployment("rolling", state, [spec("app", "h1", { replicas: 3 })], "rollback");
    expect(plan.steps).toEqual([]);
  });
});

describe("failure arithmetic", () => {
  it.each([
    { failed: 0, replicas: 3, ratio: 0, exceeds: false },
    { failed: 1, replicas: 3, ratio: 0, exceeds: true },
    { failed: 1, replicas: 3, ratio: 0.34, exceeds: false },
    { failed: 1, replicas: 3, ratio: 0.33, exceeds: true },
    { failed: 2, replicas: 4, ratio: 0.5, exceeds: false },
    { failed: 3, replicas: 4, ratio: 0.5, exceeds: true },
    { failed: 4, replicas: 4, ratio: 1, exceeds: false },
  ])(
    "$failed of $replicas failed with max_failure_ratio $ratio: exceeds=$exceeds",
    ({ failed, replicas: n, ratio, exceeds }) => {
      expect(exceedsFailureRatio(failed, n, ratio)).toBe(exceeds);
    },
  );

  it.each([
    { phase: "update", action: "rollback", want: "rollback" },
    { phase: "update", action: "pause", want: "pause" },
    { phase: "update", action: "continue", want: "continue" },
    { phase: "rollback", action: "rollback", want: "pause" },
    { phase: "rollback", action: "pause", want: "pause" },
    { phase: "rollback", action: "continue", want: "continue" },
  ] as const)("$phase with failure_action $action -> $want (never roll back a rollback)", ({ phase, action, want }) => {
    expect(failureDecision(phase, { ...SWARM_DEFAULTS, failureAction: action })).toBe(want);
  });
});
