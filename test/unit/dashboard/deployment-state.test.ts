import { describe, expect, it } from "vitest";
import type { DeploymentDetailJson, DeploymentJson } from "../../../api-schema/index.js";
import { actionsFor, isCurrent, withBatch, withDeployment } from "../../../dashboard/src/deployment-state.js";

const d = (id: string, createdAt: number, over: Partial<DeploymentJson> = {}): DeploymentJson => ({
  id,
  repository: "shop",
  environment: "staging",
  version: `v-${id}`,
  previousVersion: null,
  strategy: "rolling",
  trigger: "stage",
  actor: null,
  runId: null,
  rollbackOf: null,
  status: "running",
  outcome: null,
  rollbackReason: null,
  createdAt,
  updatedAt: createdAt,
  finishedAt: null,
  ...over,
});
const batch = (deploymentId: string, seq: number) => ({
  deploymentId,
  seq,
  phase: "update" as const,
  service: "app",
  batch: seq,
  batches: 3,
  added: [],
  removed: [],
  status: "success" as const,
  health: [],
  startedAt: 1,
  finishedAt: 2,
});
const detail = (row: DeploymentJson, batches: ReturnType<typeof batch>[] = []): DeploymentDetailJson => ({
  ...row,
  batches,
});

describe("dashboard: folding deployment messages into the environments pages", () => {
  it("a new deployment goes on top (within the limit); an update replaces its row and keeps its batches", () => {
    const old = [detail(d("B", 2), [batch("B", 1)]), detail(d("A", 1))];
    expect(withDeployment(old, d("C", 3), 2).map((h) => h.id)).toEqual(["C", "B"]);
    const updated = withDeployment(old, d("B", 2, { status: "success", outcome: "changed app" }), 30);
    expect(updated.map((h) => [h.id, h.status, h.batches.length])).toEqual([
      ["B", "success", 1],
      ["A", "running", 0],
    ]);
  });

  it("a batch joins its deployment in seq order, once even when told twice", () => {
    const h = [detail(d("B", 2), [batch("B", 2)]), detail(d("A", 1))];
    const next = withBatch(withBatch(withBatch(h, batch("B", 1)), batch("B", 3)), batch("B", 3));
    expect(next[0]?.batches.map((b) => b.seq)).toEqual([1, 2, 3]);
    expect(next[1]?.batches).toEqual([]);
  });

  it("only the newest deployment is current; paused and interrupted ones offer confirm and rollback", () => {
    expect(isCurrent(d("B", 2), d("A", 1))).toBe(true);
    expect(isCurrent(d("A", 1), d("B", 2))).toBe(false);
    expect(isCurrent(d("A", 1, { status: "success" }), d("A", 1))).toBe(true);
    expect(isCurrent(d("A", 1), null)).toBe(true);
    expect(actionsFor(d("A", 1, { status: "paused" }))).toEqual(["confirm", "rollback"]);
    expect(actionsFor(d("A", 1, { status: "interrupted" }))).toEqual(["confirm", "rollback"]);
    expect(actionsFor(d("A", 1, { status: "success" }))).toEqual([]);
  });
});
