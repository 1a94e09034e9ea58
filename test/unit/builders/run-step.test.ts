import { describe, expect, it } from "vitest";
import { runStep } from "../../../builders/index.js";
import type { Engine } from "../../../engine/index.js";

// runStep's call order against a recording fake engine: the hook that fills the workspace
// through the step's own container (`beforeStart`) runs on the created container, before the
// attach and the start; a failure there removes the container; a cancel during it means the
// container never starts.

function recordingEngine(calls: string[]): Engine {
  const engine: Pick<
    Engine,
    "createContainer" | "attachOutput" | "startContainer" | "waitContainer" | "stopContainer" | "removeContainer"
  > = {
    createContainer: async () => {
      calls.push("create");
      return "c1";
    },
    attachOutput: async (id) => {
      calls.push(`attach ${id}`);
      return { done: Promise.resolve() };
    },
    startContainer: async (id) => {
      calls.push(`start ${id}`);
    },
    waitContainer: async (id) => {
      calls.push(`wait ${id}`);
      return 0;
    },
    stopContainer: async (id) => {
      calls.push(`stop ${id}`);
    },
    removeContainer: async (id) => {
      calls.push(`remove ${id}`);
    },
  };
  return engine as Engine;
}

const step = { image: "b:1", commands: ["true"], env: {}, workspaceVolume: "ws-1", labels: {} };

describe("runStep with beforeStart", () => {
  it("runs the hook on the created container, before attach and start", async () => {
    const calls: string[] = [];
    const outcome = await runStep(recordingEngine(calls), step, {
      onLine: () => {},
      beforeStart: async (id) => {
        calls.push(`seed ${id}`);
      },
    });
    expect(outcome).toEqual({ exitCode: 0, cancelled: false, containerId: "c1" });
    expect(calls).toEqual(["create", "seed c1", "attach c1", "start c1", "wait c1"]);
  });

  it("removes the container and rethrows when the hook fails", async () => {
    const calls: string[] = [];
    const failing = runStep(recordingEngine(calls), step, {
      onLine: () => {},
      beforeStart: async () => {
        throw new Error("copy refused");
      },
    });
    await expect(failing).rejects.toThrow("copy refused");
    expect(calls).toEqual(["create", "remove c1"]);
  });

  it("never starts a container whose run was cancelled while the hook ran", async () => {
    const calls: string[] = [];
    const controller = new AbortController();
    const outcome = await runStep(recordingEngine(calls), step, {
      onLine: () => {},
      signal: controller.signal,
      beforeStart: async () => {
        controller.abort(new Error("SIGINT"));
      },
    });
    expect(outcome).toEqual({ exitCode: 130, cancelled: true, containerId: "c1" });
    expect(calls).not.toContain("start c1");
  });
});
