import { describe, expect, it } from "vitest";
import {
  confirmDeployment,
  deployVersion,
  isDeployError,
  readEnvironmentStatus,
  rollbackEnvironment,
} from "../../../deploy/index.js";
import { APP, appImage, engine, sample, startLoad, TestEnvironment } from "./helpers.js";

// Its own repository name: `status` finds an environment's containers by label, across projects.
const KEY = { repository: `shop-${Math.random().toString(36).slice(2, 8)}`, environment: "staging" };
const targetOf = (env: TestEnvironment, version: string, image: string) => ({
  ...env.target(version, image),
  repository: KEY.repository,
});

/** The ids among `ids` whose container runs (a removed one counts as not running). */
async function runningOf(ids: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const id of ids) if ((await engine.inspectContainer(id).catch(() => undefined))?.running) out.push(id);
  return out.sort();
}

/** The ids among `ids` that run and answer to the service's DNS name (in rotation). */
async function inRotation(ids: string[], service: string): Promise<string[]> {
  const out: string[] = [];
  for (const id of ids) {
    const c = await engine.inspectContainer(id).catch(() => undefined);
    if (c?.running && Object.values(c.networks ?? {}).some((n) => n.aliases.includes(service))) out.push(id);
  }
  return out.sort();
}

async function existing(ids: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const id of ids) if (await engine.inspectContainer(id).catch(() => undefined)) out.push(id);
  return out.sort();
}

describe("confirm_upgrade: the two-phase finish (real engine, 3 replicas behind HAProxy)", () => {
  it("keeps the replaced containers stopped, refuses a second deploy, and confirm removes them", async () => {
    await using env = await TestEnvironment.create({ keys: "    confirm_upgrade: true\n" });
    const [v1, v2, v3] = [await appImage("v1"), await appImage("v2"), await appImage("v4")];
    const first = await deployVersion(targetOf(env, "v1", v1), env.options());
    // A first deploy replaces nothing, so there is nothing to confirm.
    expect(first.status).toBe("success");
    const old = await env.containerIds("app");
    expect(old).toHaveLength(3);

    // At every batch: which old containers are in rotation. Once out, one never comes back.
    const seen: string[][] = [];
    const records = env.store.deployments;
    const watching = {
      ...env.options(),
      records: Object.assign(Object.create(records), {
        addBatch: async (...args: Parameters<typeof records.addBatch>) => {
          seen.push(await inRotation(old, "app"));
          return records.addBatch(...args);
        },
      }) as typeof records,
    };
    const upgraded = await deployVersion(targetOf(env, "v2", v2), watching);
    expect(upgraded).toMatchObject({ version: "v2", status: "awaiting_confirm" });
    expect(upgraded.outcome).toMatch(/kept 3 replaced container/);
    expect(seen).toHaveLength(3);
    for (let i = 1; i < seen.length; i++) {
      for (const id of seen[i] ?? []) expect(seen[i - 1]).toContain(id);
    }
    expect((seen[2] ?? []).length).toBeLessThan(3);
    // The old containers are all still there, stopped, not removed.
    expect(await existing(old)).toEqual(old);
    expect(await runningOf(old)).toEqual([]);
    expect(new Set(await sample(await env.lbUrl(), 6))).toEqual(new Set(["v2"]));
    const history = await env.store.deployments.listDeployments(KEY);
    const app = (await readEnvironmentStatus(engine, KEY, history)).find((s) => s.service === "app");
    // Kept containers are listed as kept, and do not count as serving replicas.
    expect(app).toMatchObject({ version: "v2", running: 3, ready: 3 });
    expect(
      app?.containers
        .filter((c) => c.state === "kept")
        .map((c) => c.id)
        .sort(),
    ).toEqual(old);

    // A deploy while awaiting confirmation is refused; nothing changes (no compose call revives them).
    const refused = await deployVersion(targetOf(env, "v4", v3), env.options()).catch((e: unknown) => e);
    expect(isDeployError(refused, "SLIPWAY_E_DEPLOY_AWAITING_CONFIRM")).toBe(true);
    expect(await runningOf(old)).toEqual([]);
    expect(await env.appImages()).toEqual([v2, v2, v2]);

    const confirmed = await confirmDeployment(targetOf(env, "v2", v2), env.options({ actor: "ann" }));
    expect(confirmed).toMatchObject({ id: upgraded.id, status: "success" });
    expect(confirmed.outcome).toMatch(/confirmed by ann: removed 3 kept container/);
    expect(await existing(old)).toEqual([]);
    expect(await env.appImages()).toEqual([v2, v2, v2]);
    // Confirmed: the next deploy goes ahead.
    const next = await deployVersion(targetOf(env, "v4", v3), env.options());
    expect(next.status).toBe("awaiting_confirm");
  });

  it("rollback before confirm restarts the same old containers without their image tag, and removes the new ones", async () => {
    await using env = await TestEnvironment.create({ keys: "    confirm_upgrade: true\n" });
    const [built, v2] = [await appImage("v1"), await appImage("v2")];
    // v1 under a tag of its own, removed before the rollback: a rollback that recreated
    // containers would need it (pull or local); restarting the kept containers does not.
    const v1 = `${APP}:kept-${Math.random().toString(36).slice(2, 8)}`;
    await engine.tagImage((await engine.imageId(built)) ?? "", v1);
    await deployVersion(targetOf(env, "v1", v1), env.options());
    const old = await env.containerIds("app");
    const upgraded = await deployVersion(targetOf(env, "v2", v2), env.options());
    expect(upgraded.status).toBe("awaiting_confirm");
    const fresh = (await runningOf(await env.containerIds("app"))).filter((id) => !old.includes(id));
    expect(fresh).toHaveLength(3);
    await engine.removeImage(v1);

    const load = await startLoad(await env.lbUrl(), { maxSeconds: 120 });
    const back = await rollbackEnvironment(targetOf(env, "v2", v2), env.options({ actor: "bob" }));
    const report = await load.stop();
    expect(back).toMatchObject({ version: "v1", status: "success", trigger: "rollback", rollbackOf: upgraded.id });
    expect(back.outcome).toMatch(/restarted 3 kept container/);
    // The very containers that served v1 serve again; the new ones are gone.
    expect(await runningOf(old)).toEqual(old);
    expect(await existing(fresh)).toEqual([]);
    expect(await env.containerIds("app")).toEqual(old);
    expect(new Set(await sample(await env.lbUrl(), 6))).toEqual(new Set(["v1"]));
    const was = await env.store.deployments.getDeployment(upgraded.id);
    expect(was).toMatchObject({ status: "rolled_back" });
    expect(was?.rollbackReason).toMatch(/rollback requested by bob before confirm/);
    const [batch] = await env.store.deployments.listBatches(back.id);
    expect(batch).toMatchObject({ phase: "rollback", service: "app", status: "success" });
    expect([...(batch?.added ?? [])].sort()).toEqual(old);
    expect([...(batch?.removed ?? [])].sort()).toEqual(fresh.sort());
    expect(report.failed, report.errors.join("; ")).toBe(0);
    expect(report.versions.v1).toBeGreaterThan(0);
    // Nothing is awaiting any more: confirm has nothing to do.
    const again = await confirmDeployment(targetOf(env, "v1", v1), env.options()).catch((e: unknown) => e);
    expect(isDeployError(again, "SLIPWAY_E_DEPLOY_NOT_PAUSED")).toBe(true);
  });
});
