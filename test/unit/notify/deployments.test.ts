import { describe, expect, it } from "vitest";
import { deploymentEvent, observeDeployments } from "../../../runner/notify/index.js";
import type { DeploymentPatch, DeploymentRow, DeploymentStore } from "../../../store/index.js";

const row = (over: Partial<DeploymentRow> = {}): DeploymentRow => ({
  id: "D1",
  repository: "shop",
  environment: "staging",
  version: "v2",
  previousVersion: "v1",
  strategy: "rolling",
  trigger: "stage",
  actor: null,
  runId: "R1",
  rollbackOf: null,
  status: "running",
  outcome: null,
  rollbackReason: null,
  spec: null,
  createdAt: 1,
  updatedAt: 1,
  finishedAt: null,
  ...over,
});

/** A records object that answers updates with the patched row, like the store does. */
function fakeRecords(trigger: DeploymentRow["trigger"] = "stage") {
  const calls: string[] = [];
  const records = {
    marker: "kept",
    async updateDeployment(id: string, patch: DeploymentPatch) {
      calls.push(`update ${id} ${patch.status ?? "-"}`);
      return row({ id, trigger, ...(patch.status ? { status: patch.status } : {}) });
    },
    async getDeployment(id: string) {
      calls.push(`get ${id}`);
      return row({ id });
    },
  };
  return { records: records as unknown as DeploymentStore, calls };
}

describe("deployment events", () => {
  it("reports updates that end a deployment or make it wait for an operator, once the store has them, and passes everything else through", async () => {
    const { records, calls } = fakeRecords();
    const ended: string[] = [];
    const observed = observeDeployments(records, (r) => ended.push(`${r.id}:${r.status}`));
    await observed.updateDeployment("D1", { status: "paused", outcome: "unhealthy" });
    await observed.updateDeployment("D1", { outcome: "still going" });
    await observed.updateDeployment("D1", { status: "running" });
    await observed.updateDeployment("D1", { status: "rolled_back" });
    await observed.updateDeployment("D2", { status: "success" });
    await observed.updateDeployment("D4", { status: "awaiting_confirm" });
    expect(await observed.getDeployment("D3")).toMatchObject({ id: "D3" });
    expect((observed as unknown as { marker: string }).marker).toBe("kept");
    expect(ended).toEqual(["D1:paused", "D1:rolled_back", "D2:success", "D4:awaiting_confirm"]);
    expect(calls).toEqual([
      "update D1 paused",
      "update D1 -",
      "update D1 running",
      "update D1 rolled_back",
      "update D2 success",
      "update D4 awaiting_confirm",
      "get D3",
    ]);
  });

  it("names the event: a successful rollback deployment is the environment rolled back", () => {
    expect(deploymentEvent(row({ status: "success" }))).toBe("deployment.succeeded");
    expect(deploymentEvent(row({ status: "success", trigger: "rollback" }))).toBe("deployment.rolled_back");
    expect(deploymentEvent(row({ status: "rolled_back" }))).toBe("deployment.rolled_back");
    expect(deploymentEvent(row({ status: "failed" }))).toBe("deployment.failed");
    expect(deploymentEvent(row({ status: "paused" }))).toBe("deployment.paused");
    expect(deploymentEvent(row({ status: "awaiting_confirm" }))).toBe("deployment.awaiting_confirm");
    expect(deploymentEvent(row({ status: "running" }))).toBeUndefined();
    expect(deploymentEvent(row({ status: "interrupted" }))).toBeUndefined();
  });
});
