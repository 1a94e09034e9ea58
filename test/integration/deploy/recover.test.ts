import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { recoverInterrupted } from "../../../deploy/index.js";
import { openStore } from "../../../store/index.js";

const KEY = { repository: "shop", environment: "staging" };

describe("restart after a runner died mid-deployment", () => {
  it("records the deployment as interrupted and frees the environment; a live holder's is left alone", async () => {
    const dir = await mkdtemp(join(tmpdir(), "slipway-recover-"));
    const store = await openStore(undefined, { dataDir: dir });
    try {
      const records = store.deployments;
      const dead = await records.createDeployment({ ...KEY, version: "v2", strategy: "rolling", trigger: "stage" });
      await records.acquireLock(KEY, "dead-runner", 1, dead.id);
      const other = { ...KEY, environment: "production" };
      const live = await records.createDeployment({ ...other, version: "v7", strategy: "rolling", trigger: "cli" });
      await records.acquireLock(other, "live-runner", 60_000, live.id);
      await new Promise((r) => setTimeout(r, 10));
      const recovered = await recoverInterrupted(records, "new-runner");
      expect(recovered.map((d) => [d.id, d.status])).toEqual([[dead.id, "interrupted"]]);
      expect(await records.getLock(KEY)).toBeUndefined();
      expect((await records.getDeployment(live.id))?.status).toBe("running");
      expect((await records.getLock(other))?.holder).toBe("live-runner");
    } finally {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("at any time (no holder): an expired lease or a newer running deployment is dead, a live lease is not", async () => {
    const dir = await mkdtemp(join(tmpdir(), "slipway-recover-"));
    const store = await openStore(undefined, { dataDir: dir });
    try {
      const records = store.deployments;
      // staging: a runner elsewhere died (lease expired), nobody restarted it.
      const dead = await records.createDeployment({ ...KEY, version: "v2", strategy: "rolling", trigger: "api" });
      await records.acquireLock(KEY, "dead-runner", 1, dead.id);
      // production: a live deployment of this very daemon, and an older one a dead runner left behind.
      const prod = { ...KEY, environment: "production" };
      const older = await records.createDeployment({ ...prod, version: "v6", strategy: "rolling", trigger: "stage" });
      const live = await records.createDeployment({ ...prod, version: "v7", strategy: "rolling", trigger: "api" });
      await records.acquireLock(prod, "this-runner", 60_000, live.id);
      await new Promise((r) => setTimeout(r, 10));
      const recovered = await recoverInterrupted(records);
      expect(recovered.map((d) => d.id).sort()).toEqual([dead.id, older.id].sort());
      expect(await records.getLock(KEY)).toBeUndefined();
      expect((await records.getDeployment(live.id))?.status).toBe("running");
      expect((await records.getLock(prod))?.holder).toBe("this-runner");
      // Nothing more to do the second time.
      expect(await recoverInterrupted(records)).toEqual([]);
    } finally {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
