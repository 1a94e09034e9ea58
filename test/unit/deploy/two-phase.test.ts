import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  beginDrain,
  type EnvironmentTarget,
  isDeployError,
  Keeper,
  keepVersionsOf,
  planDeployment,
  type ReplicaState,
  refuseStopFirst,
  rollbackableVersions,
  rollbackEnvironment,
  type ServiceSpec,
  SWARM_DEFAULTS,
} from "../../../deploy/index.js";
import type { Engine } from "../../../engine/index.js";
import { parsePipeline } from "../../../pipelines/index.js";
import { type DeploymentRow, type DeploymentStatus, openStore, type Store } from "../../../store/index.js";

let seq = 0;
function row(version: string, status: DeploymentStatus, spec: Record<string, unknown> | null = null): DeploymentRow {
  seq++;
  return {
    id: `D${String(seq).padStart(25, "0")}`,
    repository: "shop",
    environment: "staging",
    version,
    previousVersion: null,
    strategy: "rolling",
    trigger: "stage",
    actor: null,
    runId: null,
    rollbackOf: null,
    status,
    outcome: null,
    rollbackReason: null,
    spec,
    createdAt: seq,
    updatedAt: seq,
    finishedAt: seq,
  };
}

const history = (...list: string[]) =>
  list.map((s) => {
    const [v, status] = s.split(":") as [string, DeploymentStatus];
    return row(v, status);
  });

describe("rollbackableVersions (keep_versions)", () => {
  it.each([
    [
      "the last N distinct good versions before the serving one",
      ["v4:success", "v3:success", "v2:success", "v1:success"],
      2,
      ["v3", "v2"],
    ],
    ["redeploys of one version count once", ["v3:success", "v2:success", "v2:success", "v1:success"], 2, ["v2", "v1"]],
    [
      "failed and rolled-back versions are not rollback-able",
      ["v4:success", "v3:rolled_back", "v2:failed", "v1:success"],
      1,
      ["v1"],
    ],
    [
      "awaiting confirmation serves: its previous version is the first",
      ["v3:awaiting_confirm", "v2:success", "v1:success"],
      1,
      ["v2"],
    ],
    ["fewer versions than N", ["v2:success", "v1:success"], 3, ["v1"]],
  ])("%s", (_what, list, keep, expected) => {
    expect(rollbackableVersions(history(...(list as string[])), keep as number)).toEqual(expected);
  });

  it("keep_versions in force: the serving deployment's recorded value, else the file's, else 3", () => {
    const recorded = [row("v2", "success", { keepVersions: 5 }), row("v1", "success", { keepVersions: 1 })];
    expect(keepVersionsOf(recorded, 2)).toBe(5);
    expect(keepVersionsOf(history("v2:success"), 2)).toBe(2);
    expect(keepVersionsOf(history("v2:success"), undefined)).toBe(3);
  });
});

function spec(name: string, hash: string, order: "start-first" | "stop-first"): ServiceSpec {
  return {
    name,
    hash,
    replicas: 2,
    dependsOn: [],
    fixedHostPorts: [],
    update: { ...SWARM_DEFAULTS, order },
    rollback: { ...SWARM_DEFAULTS },
  };
}
const running = (service: string, hash: string): ReplicaState[] => [
  { id: `${service}-1`, hash, number: 1 },
  { id: `${service}-2`, hash, number: 2 },
];

describe("refuseStopFirst (confirm_upgrade needs start-first where containers are replaced)", () => {
  it("refuses a changed stop-first service, naming it", () => {
    const plan = planDeployment("rolling", { app: running("app", "old") }, [spec("app", "new", "stop-first")]);
    let caught: unknown;
    try {
      refuseStopFirst(plan, "staging");
    } catch (err) {
      caught = err;
    }
    expect(isDeployError(caught, "SLIPWAY_E_DEPLOY_BAD_VALUE")).toBe(true);
    expect((caught as Error).message).toMatch(/confirm_upgrade.*app updates stop-first/);
  });

  it("takes start-first, and an unchanged stop-first service (the database) is not replaced, so it does not matter", () => {
    const plan = planDeployment("rolling", { app: running("app", "old"), db: running("db", "d") }, [
      spec("app", "new", "start-first"),
      spec("db", "d", "stop-first"),
    ]);
    expect(() => refuseStopFirst(plan, "staging")).not.toThrow();
  });
});

describe("rollbackEnvironment refusals before anything is touched", () => {
  let dir: string;
  let store: Store;
  // Any engine call fails the test: these refusals come from the history alone.
  const engine = new Proxy({} as Engine, {
    get: (_t, name) => () => {
      throw new Error(`engine.${String(name)} called`);
    },
  });
  const target = (keys: string): EnvironmentTarget => {
    const parsed = parsePipeline(
      `name: shop\nimage: x\nenvironments:\n  staging:\n    compose: compose.yml\n${keys}stages:\n  - { name: deploy, deploy: staging }\n`,
      "slipway.yml",
    );
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    const environment = parsed.pipeline.environments.staging;
    if (!environment) throw new Error("no environment");
    return {
      repository: "shop",
      environment,
      project: "p",
      composeFile: join(dir, "compose.yml"),
      version: "v9",
      variables: {},
    };
  };
  const record = async (
    version: string,
    status: DeploymentStatus,
    extra: { previousVersion?: string; spec?: Record<string, unknown> } = {},
  ) => {
    const d = await store.deployments.createDeployment({
      repository: "shop",
      environment: "staging",
      version,
      strategy: "rolling",
      trigger: "stage",
      ...(extra.previousVersion ? { previousVersion: extra.previousVersion } : {}),
      ...(extra.spec ? { spec: extra.spec } : {}),
    });
    await store.deployments.updateDeployment(d.id, { status });
    return d;
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "slipway-two-phase-"));
    store = await openStore(undefined, { dataDir: dir });
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("refuses a version older than keep_versions (the serving deployment's), and records nothing", async () => {
    await record("v1", "success");
    await record("v2", "success");
    await record("v3", "success", { spec: { variables: {}, keepVersions: 1 } });
    const opts = { engine, records: store.deployments, holder: "t" };
    const err = await rollbackEnvironment(target(""), opts, "v1").catch((e: unknown) => e);
    expect(isDeployError(err, "SLIPWAY_E_DEPLOY_ROLLBACK_TOO_OLD")).toBe(true);
    expect((err as Error).message).toMatch(/keep_versions: 1\): v2; v1 is older/);
    expect(await store.deployments.listDeployments({ repository: "shop", environment: "staging" })).toHaveLength(3);
    // A version that never succeeded stays "never deployed", whatever keep_versions says.
    const never = await rollbackEnvironment(target(""), opts, "v0").catch((e: unknown) => e);
    expect(isDeployError(never, "SLIPWAY_E_DEPLOY_NO_PREVIOUS")).toBe(true);
  });

  it("while awaiting confirmation, a rollback to another version than the kept one is refused", async () => {
    await record("v1", "success");
    await record("v2", "success");
    await record("v3", "awaiting_confirm", { previousVersion: "v2", spec: { variables: {}, kept: { app: ["x"] } } });
    const opts = { engine, records: store.deployments, holder: "t" };
    const err = await rollbackEnvironment(target("    confirm_upgrade: true\n"), opts, "v1").catch((e: unknown) => e);
    expect(isDeployError(err, "SLIPWAY_E_DEPLOY_AWAITING_CONFIRM")).toBe(true);
    expect((err as Error).message).toMatch(/slipway confirm staging/);
  });
});

describe("Keeper (the kept containers' life within a rollout, on a recording engine)", () => {
  /** Containers with networks and aliases; every call is logged. */
  function fakeEngine() {
    const calls: string[] = [];
    const state = new Map<string, { running: boolean; aliases: string[] }>();
    for (const id of ["old1", "old2"]) state.set(id, { running: true, aliases: ["app", id] });
    const engine = {
      inspectContainer: async (id: string) => {
        const c = state.get(id);
        if (!c) throw new Error("gone");
        return { running: c.running, networks: { net: { aliases: [...c.aliases] } } };
      },
      reattachWithAliases: async (_net: string, id: string, aliases: string[]) => {
        calls.push(`reattach ${id} ${aliases.join(",")}`);
        const c = state.get(id);
        if (c) c.aliases = aliases;
      },
      stopContainer: async (id: string) => {
        calls.push(`stop ${id}`);
        const c = state.get(id);
        if (c) c.running = false;
      },
      startContainer: async (id: string) => {
        calls.push(`start ${id}`);
        const c = state.get(id);
        if (c) c.running = true;
      },
      removeContainer: async (id: string) => {
        calls.push(`remove ${id}`);
        state.delete(id);
      },
    } as unknown as Engine;
    return { engine, calls, state };
  }

  it("retire takes out of rotation and keeps running; park stops; nothing is removed", async () => {
    const { engine, calls, state } = fakeEngine();
    const keeper = new Keeper(engine, () => {});
    await keeper.retire("app", ["old1"], await beginDrain(engine, "app", ["old1"], 0));
    expect(state.get("old1")).toEqual({ running: true, aliases: ["old1"] });
    await keeper.retire("app", ["old2"], await beginDrain(engine, "app", ["old2"], 0));
    expect(keeper.kept()).toEqual({});
    await keeper.park("app");
    expect(keeper.kept()).toEqual({ app: ["old1", "old2"] });
    expect([...state.values()].map((c) => c.running)).toEqual([false, false]);
    expect(calls.filter((c) => c.startsWith("remove"))).toEqual([]);
  });

  it("release(true) (a rollback follows) starts the stopped ones and puts every kept one back in rotation", async () => {
    const { engine, state } = fakeEngine();
    const keeper = new Keeper(engine, () => {});
    await keeper.retire("app", ["old1"], await beginDrain(engine, "app", ["old1"], 0));
    await keeper.park("app");
    await keeper.retire("app", ["old2"], await beginDrain(engine, "app", ["old2"], 0));
    await keeper.release(true);
    expect(state.get("old1")).toEqual({ running: true, aliases: ["old1", "app"] });
    expect(state.get("old2")).toEqual({ running: true, aliases: ["old2", "app"] });
    expect(keeper.kept()).toEqual({});
  });

  it("release(false) (a pause, an error) removes the stopped ones (compose would revive them) and returns the running ones", async () => {
    const { engine, state } = fakeEngine();
    const keeper = new Keeper(engine, () => {});
    await keeper.retire("app", ["old1"], await beginDrain(engine, "app", ["old1"], 0));
    await keeper.park("app");
    await keeper.retire("app", ["old2"], await beginDrain(engine, "app", ["old2"], 0));
    await keeper.release(false);
    expect(state.has("old1")).toBe(false);
    expect(state.get("old2")).toEqual({ running: true, aliases: ["old2", "app"] });
  });
});
