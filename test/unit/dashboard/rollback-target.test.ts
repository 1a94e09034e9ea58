import { describe, expect, it } from "vitest";
import { defaultRollbackTarget } from "../../../dashboard/src/rollback-target.js";
import { rollbackDestination } from "../../../deploy/index.js";
import type { DeploymentRow } from "../../../store/index.js";

type Row = Pick<DeploymentRow, "version" | "previousVersion" | "status">;
const d = (version: string, status: Row["status"], previousVersion: string | null = null): Row => ({
  version,
  status,
  previousVersion,
});

/** Histories newest first, and where a rollback without a version goes. */
const CASES: [string, Row[], string | undefined][] = [
  ["never deployed", [], undefined],
  ["one good deployment: nowhere to go", [d("v1", "success")], undefined],
  ["two good versions: the older one", [d("v2", "success", "v1"), d("v1", "success")], "v1"],
  [
    "a redeploy of the same version is skipped",
    [d("v2", "success", "v2"), d("v2", "success", "v1"), d("v1", "success")],
    "v1",
  ],
  [
    "failed and rolled-back ones are not good",
    [d("v3", "success", "v2"), d("v2", "failed", "v1"), d("v2", "rolled_back"), d("v1", "success")],
    "v1",
  ],
  [
    "paused: back to its previous version",
    [d("v3", "paused", "v2"), d("v2", "success", "v1"), d("v1", "success")],
    "v2",
  ],
  [
    "interrupted: back to its previous version",
    [d("v3", "interrupted", "v1"), d("v2", "success"), d("v1", "success")],
    "v1",
  ],
  [
    "awaiting confirmation: back to its previous version (its kept containers)",
    [d("v3", "awaiting_confirm", "v2"), d("v2", "success", "v1"), d("v1", "success")],
    "v2",
  ],
  ["paused first deployment: nowhere", [d("v1", "paused")], undefined],
  ["paused, its previous version beyond the history read: nowhere", [d("v2", "paused", "v1")], undefined],
  [
    "after a rollback: the version rolled back from",
    [d("v1", "success", "v2"), d("v2", "success", "v1"), d("v1", "success")],
    "v2",
  ],
];

describe("dashboard: the rollback button's label agrees with the executor", () => {
  it.each(CASES)("%s", (_name, history, expected) => {
    expect(defaultRollbackTarget(history)).toBe(expected);
    // The executor's own choice over the same history (its rows need only these fields here).
    const rows = history as DeploymentRow[];
    expect(rollbackDestination(rows).to?.version).toBe(expected);
  });
});
