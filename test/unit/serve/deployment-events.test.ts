import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ajv } from "ajv";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EVENT_SCHEMAS } from "../../../api-schema/index.js";
import { type DeploymentLiveEvent, publishDeployments } from "../../../runner/serve/deployment-events.js";
import { openStore, type Store } from "../../../store/index.js";

describe("publishDeployments: what the executor records, as /api/events messages", () => {
  let dir: string;
  let store: Store;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "slipway-deploy-events-"));
    store = await openStore(undefined, { dataDir: dir });
    await store.migrate();
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("publishes lock taken, deployment recorded, each batch, updates and lock freed, in order, each valid against its schema", async () => {
    const events: DeploymentLiveEvent[] = [];
    const records = publishDeployments(store.deployments, (e) => events.push(e));
    const key = { repository: "shop", environment: "staging" };
    expect((await records.acquireLock(key, "runner-a", 30_000)).acquired).toBe(true);
    // Renewals and a refused lock are no news.
    await records.renewLock(key, "runner-a", 30_000);
    expect((await records.acquireLock(key, "runner-b", 30_000)).acquired).toBe(false);
    const row = await records.createDeployment({
      ...key,
      version: "v2",
      strategy: "rolling",
      trigger: "api",
      spec: { variables: { IMAGE: "shop:v2", TOKEN: "secret" } },
    });
    const batch = {
      phase: "update" as const,
      service: "app",
      batches: 2,
      added: ["c2"],
      removed: ["c1"],
      status: "success" as const,
      health: [{ id: "c2", state: "healthy", detail: "" }],
      startedAt: 1,
      finishedAt: 2,
    };
    await records.addBatch(row.id, { ...batch, batch: 1 });
    await records.addBatch(row.id, { ...batch, batch: 2 });
    await records.updateDeployment(row.id, { status: "success", outcome: "changed app", finishedAt: 3 });
    expect(await records.releaseLock(key, "runner-a")).toBe(true);
    expect(await records.releaseLock(key, "runner-a")).toBe(false); // nothing freed twice
    // Reads pass through untouched.
    expect((await records.getDeployment(row.id))?.status).toBe("success");

    expect(
      events.map((e) =>
        e.type === "deployment"
          ? `deployment ${e.data.deployment.status}`
          : e.type === "batch"
            ? `batch ${e.data.batch.batch}/${e.data.batch.batches}`
            : `lock ${e.data.lock ? e.data.lock.holder : "freed"}`,
      ),
    ).toEqual(["lock runner-a", "deployment running", "batch 1/2", "batch 2/2", "deployment success", "lock freed"]);
    const ajv = new Ajv({ strict: false });
    for (const e of events) {
      expect(ajv.validate(EVENT_SCHEMAS[e.type], e.data), `${e.type}: ${ajv.errorsText()}`).toBe(true);
      expect(e.type === "deployment" ? e.data.deployment : e.data).toMatchObject(key);
    }
    // The internal spec (a version's variables) never goes out.
    expect(JSON.stringify(events)).not.toContain("secret");
    const batchEvent = events.find((e) => e.type === "batch");
    expect(batchEvent?.data).toMatchObject({ batch: { deploymentId: row.id, seq: 1, service: "app" } });
  });

  it("finds a batch's environment from the store when the deployment was recorded elsewhere (confirm of a paused one)", async () => {
    const row = await store.deployments.createDeployment({
      repository: "shop",
      environment: "prod",
      version: "v3",
      strategy: "rolling",
      trigger: "stage",
    });
    const events: DeploymentLiveEvent[] = [];
    const records = publishDeployments(store.deployments, (e) => events.push(e));
    await records.addBatch(row.id, {
      phase: "update",
      service: "app",
      batch: 1,
      batches: 1,
      added: [],
      removed: [],
      status: "failed",
      health: [],
      startedAt: 1,
      finishedAt: 2,
    });
    expect(events).toMatchObject([{ type: "batch", data: { repository: "shop", environment: "prod" } }]);
  });

  it("a throwing listener never fails the store call", async () => {
    const records = publishDeployments(store.deployments, () => {
      throw new Error("listener bug");
    });
    const got = await records.acquireLock({ repository: "shop", environment: "x" }, "r", 1000);
    expect(got.acquired).toBe(true);
  });
});
