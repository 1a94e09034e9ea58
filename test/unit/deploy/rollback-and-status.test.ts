import { describe, expect, it } from "vitest";
import { rollbackDestination, versionOfHash } from "../../../deploy/index.js";
import type { DeploymentRow, DeploymentStatus } from "../../../store/index.js";

let seq = 0;
function row(version: string, status: DeploymentStatus, extra: Partial<DeploymentRow> = {}): DeploymentRow {
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
    spec: null,
    createdAt: seq,
    updatedAt: seq,
    finishedAt: seq,
    ...extra,
  };
}

describe("rollbackDestination (newest first history)", () => {
  it.each([
    [
      "no version: the last good version other than the current one",
      ["v3:success", "v2:failed", "v1:success"],
      undefined,
      "v1",
    ],
    [
      "no version, current failed: the last good one that is not the failed version",
      ["v3:rolled_back", "v2:success", "v1:success"],
      undefined,
      "v2",
    ],
    ["an explicit version must have succeeded", ["v3:success", "v2:failed", "v1:success"], "v2", undefined],
    ["an explicit older version", ["v3:success", "v2:success", "v1:success"], "v1", "v1"],
    ["nothing earlier", ["v1:success"], undefined, undefined],
  ])("%s", (_what, spec, version, expected) => {
    const history = (spec as string[]).map((s) => {
      const [v, status] = s.split(":") as [string, DeploymentStatus];
      return row(v, status);
    });
    expect(rollbackDestination(history, version as string | undefined).to?.version).toBe(expected);
  });

  it("a paused deployment returns to its previous version", () => {
    const history = [row("v3", "paused", { previousVersion: "v2" }), row("v2", "success"), row("v1", "success")];
    const { stuck, to } = rollbackDestination(history);
    expect([stuck?.version, to?.version]).toEqual(["v3", "v2"]);
  });
});

describe("versionOfHash", () => {
  const hashes = (app: string, db: string) => ({ variables: {}, hashes: { app, db } });
  const history = [
    row("v3", "rolled_back", { spec: hashes("a3", "d1") }),
    row("v2", "success", { spec: hashes("a2", "d1") }),
    row("v1", "success", { spec: hashes("a1", "d1") }),
  ];
  it("names the newest successful version that configured the service this way", () => {
    expect(versionOfHash(history, "app", "a2")).toBe("v2");
    expect(versionOfHash(history, "app", "a1")).toBe("v1");
    // The database did not change: the newest good version, not the rolled-back v3.
    expect(versionOfHash(history, "db", "d1")).toBe("v2");
  });
  it("falls back to any outcome, and knows nothing of an unknown or empty hash", () => {
    expect(versionOfHash(history, "app", "a3")).toBe("v3");
    expect(versionOfHash(history, "app", "zz")).toBeNull();
    expect(versionOfHash(history, "app", "")).toBeNull();
  });
});
