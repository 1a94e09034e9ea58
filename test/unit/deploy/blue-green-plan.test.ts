import { describe, expect, it } from "vitest";
import {
  type BlueGreenState,
  type BlueGreenStep,
  hookColour,
  isDeployError,
  planBlueGreen,
  type ReplicaState,
  readServiceSpecs,
  type ServiceSpec,
  type StackState,
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

function replicas(service: string, hash: string, count: number): ReplicaState[] {
  return Array.from({ length: count }, (_, i) => ({ id: `${service}-${hash}-${i + 1}`, hash, number: i + 1 }));
}

/** Target v2: app (2 replicas, after api) and api. */
const V2 = [spec("app", "app-v2", { replicas: 2, dependsOn: ["api"] }), spec("api", "api-v2")];
const V1 = [spec("app", "app-v1", { replicas: 2, dependsOn: ["api"] }), spec("api", "api-v1")];
const RUNS_V1: StackState = { app: replicas("app", "app-v1", 2), api: replicas("api", "api-v1", 1) };
const RUNS_V2: StackState = { app: replicas("app", "app-v2", 2), api: replicas("api", "api-v2", 1) };
const EMPTY: StackState = {};

function show(steps: BlueGreenStep[]): string[] {
  return steps.map((s) => {
    switch (s.kind) {
      case "proxy":
        return `proxy${s.active ? ` keeping ${s.active}` : ""}`;
      case "up":
        return `up ${s.colour} ${JSON.stringify(s.scale)}`;
      case "health":
        return `health ${s.colour} ${s.services.join(",")}`;
      case "smoke":
        return `smoke ${s.colour}`;
      case "switch":
        return `switch ${s.from ?? "-"}->${s.to}`;
      case "scale-down":
        return `scale-down ${s.colour} after ${s.afterSeconds}s`;
      default:
        return "?";
    }
  });
}

const UP_V2 = (colour: string) => `up ${colour} {"api":1,"app":2}`;

describe("blue-green planner", () => {
  const cases: {
    name: string;
    state: BlueGreenState;
    target: ServiceSpec[];
    smoke?: boolean;
    phase?: "update" | "rollback";
    steps: string[];
    colour: string;
    reused: boolean;
  }[] = [
    {
      name: "first deployment: proxy, then blue, then the switch (nothing to scale down)",
      state: { proxy: false, stacks: { blue: EMPTY, green: EMPTY } },
      target: V2,
      smoke: true,
      steps: ["proxy", UP_V2("blue"), "health blue api,app", "smoke blue", "switch -->blue"],
      colour: "blue",
      reused: false,
    },
    {
      name: "blue serves v1: v2 goes to green, green is checked, switched, blue scaled down later",
      state: { proxy: true, active: "blue", stacks: { blue: RUNS_V1, green: EMPTY } },
      target: V2,
      smoke: true,
      steps: [
        UP_V2("green"),
        "health green api,app",
        "smoke green",
        "switch blue->green",
        "scale-down blue after 600s",
      ],
      colour: "green",
      reused: false,
    },
    {
      name: "green serves: the next version goes to blue, over whatever blue still ran",
      state: { proxy: true, active: "green", stacks: { blue: RUNS_V1, green: RUNS_V1 } },
      target: V2,
      steps: [UP_V2("blue"), "health blue api,app", "switch green->blue", "scale-down green after 600s"],
      colour: "blue",
      reused: false,
    },
    {
      name: "the serving colour already runs the target: nothing at all",
      state: { proxy: true, active: "green", stacks: { blue: RUNS_V1, green: RUNS_V2 } },
      target: V2,
      smoke: true,
      steps: [],
      colour: "green",
      reused: true,
    },
    {
      name: "rollback inside the delay: the old colour still runs v1, so it is only checked and switched back",
      state: { proxy: true, active: "green", stacks: { blue: RUNS_V1, green: RUNS_V2 } },
      target: V1,
      smoke: true,
      phase: "rollback",
      steps: ["health blue api,app", "switch green->blue", "scale-down green after 600s"],
      colour: "blue",
      reused: true,
    },
    {
      name: "rollback after the old colour was scaled down: v1 is deployed to it again, smoke included",
      state: { proxy: true, active: "green", stacks: { blue: EMPTY, green: RUNS_V2 } },
      target: V1,
      smoke: true,
      phase: "rollback",
      steps: [
        'up blue {"api":1,"app":2}',
        "health blue api,app",
        "smoke blue",
        "switch green->blue",
        "scale-down green after 600s",
      ],
      colour: "blue",
      reused: false,
    },
    {
      name: "an idle colour with a broken replica (empty hash) is redeployed, not reused",
      state: {
        proxy: true,
        active: "green",
        stacks: {
          blue: { ...RUNS_V2, app: [...replicas("app", "app-v2", 1), { id: "dead", hash: "", number: 2 }] },
          green: RUNS_V1,
        },
      },
      target: V2,
      steps: [UP_V2("blue"), "health blue api,app", "switch green->blue", "scale-down green after 600s"],
      colour: "blue",
      reused: false,
    },
    {
      name: "an idle colour with too few replicas is redeployed",
      state: {
        proxy: true,
        active: "blue",
        stacks: { blue: RUNS_V1, green: { ...RUNS_V2, app: replicas("app", "app-v2", 1) } },
      },
      target: V2,
      steps: [UP_V2("green"), "health green api,app", "switch blue->green", "scale-down blue after 600s"],
      colour: "green",
      reused: false,
    },
    {
      name: "an update to a version the idle colour still runs reuses it but keeps the smoke test",
      state: { proxy: true, active: "blue", stacks: { blue: RUNS_V1, green: RUNS_V2 } },
      target: V2,
      smoke: true,
      steps: ["health green api,app", "smoke green", "switch blue->green", "scale-down blue after 600s"],
      colour: "green",
      reused: true,
    },
    {
      name: "the proxy is gone though green runs: recreate it and deploy to blue (which colour served is unknown)",
      state: { proxy: false, stacks: { blue: EMPTY, green: RUNS_V1 } },
      target: V2,
      steps: ["proxy", UP_V2("blue"), "health blue api,app", "switch -->blue"],
      colour: "blue",
      reused: false,
    },
    {
      name: "a proxy with an outdated configuration is recreated on the colour it served, then the usual switch",
      state: { proxy: false, active: "green", stacks: { blue: EMPTY, green: RUNS_V1 } },
      target: V2,
      steps: [
        "proxy keeping green",
        UP_V2("blue"),
        "health blue api,app",
        "switch green->blue",
        "scale-down green after 600s",
      ],
      colour: "blue",
      reused: false,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const plan = planBlueGreen(
        c.state,
        { specs: { blue: c.target, green: c.target }, smoke: c.smoke ?? false, scaleDownAfterSeconds: 600 },
        c.phase,
      );
      expect(show(plan.steps)).toEqual(c.steps);
      expect(plan.colour).toBe(c.colour);
      expect(plan.reused).toBe(c.reused);
    });
  }

  it("compares each colour with its own hashes (compose's hash includes the project name)", () => {
    const green = V2.map((s) => ({ ...s, hash: `${s.hash}-green` }));
    const state: BlueGreenState = { proxy: true, active: "blue", stacks: { blue: RUNS_V1, green: RUNS_V2 } };
    const plan = planBlueGreen(state, { specs: { blue: V2, green }, smoke: false, scaleDownAfterSeconds: 1 });
    expect(plan.reused).toBe(false);
    expect(show(plan.steps)[0]).toBe(UP_V2("green"));
  });

  it("never switches before health (and smoke) of the new colour", () => {
    for (const c of cases) {
      const plan = planBlueGreen(
        c.state,
        { specs: { blue: c.target, green: c.target }, smoke: true, scaleDownAfterSeconds: 0 },
        c.phase,
      );
      const at = (k: string) => plan.steps.findIndex((s) => s.kind === k);
      if (at("switch") < 0) continue;
      expect(at("health")).toBeLessThan(at("switch"));
      if (at("smoke") >= 0) expect(at("smoke")).toBeLessThan(at("switch"));
      if (at("scale-down") >= 0) expect(at("scale-down")).toBeGreaterThan(at("switch"));
    }
  });
});

describe("blue-green service specs", () => {
  const env = { update: {}, rollback: {}, strategy: "blue-green" as const };
  it("refuses a fixed host port: the two colours could not both publish it", () => {
    const yaml = "services:\n  app:\n    image: a\n    ports: ['8080:80']\n";
    let err: unknown;
    try {
      readServiceSpecs(yaml, { app: "h" }, env);
    } catch (e) {
      err = e;
    }
    expect(isDeployError(err, "SLIPWAY_E_DEPLOY_FIXED_PORT")).toBe(true);
  });
  it("refuses container_name for the same reason", () => {
    const yaml = "services:\n  app:\n    image: a\n    container_name: shop\n";
    expect(() => readServiceSpecs(yaml, { app: "h" }, env)).toThrow(/container_name/);
  });
  it("accepts engine-chosen ports and one replica", () => {
    const yaml = "services:\n  app:\n    image: a\n    ports: ['127.0.0.1::80']\n";
    expect(readServiceSpecs(yaml, { app: "h" }, env).map((s) => s.name)).toEqual(["app"]);
  });
});

describe("which colour's project runs a deploy hook", () => {
  const plan = (active: "blue" | "green" | undefined, stacks: Record<"blue" | "green", StackState>) =>
    planBlueGreen(
      { proxy: true, ...(active ? { active } : {}), stacks },
      { specs: { blue: V2, green: V2 }, smoke: false, scaleDownAfterSeconds: 600 },
    );
  it.each([
    ["first deployment: the colour being deployed", undefined, { blue: EMPTY, green: EMPTY }, "blue", "blue"],
    [
      "blue serves v1: pre in blue (serving), post in green (new)",
      "blue",
      { blue: RUNS_V1, green: EMPTY },
      "blue",
      "green",
    ],
    ["green serves v1: pre in green, post in blue", "green", { blue: EMPTY, green: RUNS_V1 }, "green", "blue"],
    ["blue already serves v2: both in blue", "blue", { blue: RUNS_V2, green: RUNS_V1 }, "blue", "blue"],
  ] as const)("%s", (_what, active, stacks, pre, post) => {
    const p = plan(active, stacks);
    expect([hookColour(p, "pre_deploy"), hookColour(p, "post_deploy")]).toEqual([pre, post]);
  });
});
