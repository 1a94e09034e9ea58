import { spawnSync } from "node:child_process";
import { hostname } from "node:os";
import { describe, expect, it } from "vitest";
import { currentLiveness, isOwnerAlive, LABEL, slipwayLabels, splitLines, splitRef } from "../../../engine/index.js";

describe("splitLines", () => {
  it("reassembles lines split across chunks and flushes the last one", () => {
    const lines: string[] = [];
    const s = splitLines((l) => lines.push(l));
    for (const chunk of ["he", "llo\nwor", "ld\r\n", "\n", "tail"]) s.push(chunk);
    expect(lines).toEqual(["hello", "world", ""]);
    s.end();
    expect(lines).toEqual(["hello", "world", "", "tail"]);
  });
});

describe("splitRef", () => {
  it.each([
    ["busybox", "busybox", "latest"],
    ["busybox:1.36", "busybox", "1.36"],
    ["registry.local:5000/acme/app", "registry.local:5000/acme/app", "latest"],
    ["registry.local:5000/acme/app:develop-3", "registry.local:5000/acme/app", "develop-3"],
  ])("%s", (ref, repo, tag) => {
    expect(splitRef(ref)).toEqual({ repo, tag });
  });
});

describe("liveness labels", () => {
  it("labels resources with owner, run, role and the owning process", () => {
    const labels = slipwayLabels({ owner: "o", runId: "r1", role: "builder", stage: "build" });
    expect(labels[LABEL.owner]).toBe("o");
    expect(labels[LABEL.run]).toBe("r1");
    expect(labels[LABEL.role]).toBe("builder");
    expect(labels[LABEL.stage]).toBe("build");
    expect(labels[LABEL.pid]).toBe(String(process.pid));
  });

  it("tells a live owner from a dead one, a reused pid, and another host's", () => {
    const live = slipwayLabels({ owner: "o", runId: "r", role: "step" });
    expect(isOwnerAlive(live)).toBe(true);
    const child = spawnSync("true");
    const dead = { ...live, [LABEL.pid]: String(child.pid) };
    expect(isOwnerAlive(dead)).toBe(false);
    expect(isOwnerAlive({ ...live, [LABEL.pidStart]: "1" })).toBe(false);
    expect(isOwnerAlive({ ...dead, [LABEL.host]: `not-${hostname()}` })).toBe(true);
    expect(isOwnerAlive({})).toBe(false);
    expect(currentLiveness().pidStart).toMatch(/^\d+$/);
  });
});
