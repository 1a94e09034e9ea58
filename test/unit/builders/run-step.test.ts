import { describe, expect, it } from "vitest";
import { runStep, stepContainerSpec } from "../../../builders/index.js";
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
    stopContainer: async (id, grace) => {
      calls.push(`stop ${id} ${grace}`);
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

describe("runStep with besideStart (the workspace copy made while the container starts)", () => {
  it("runs the copy beside the start and waits for both before waiting on the container", async () => {
    const calls: string[] = [];
    let finishCopy = () => {};
    const outcome = runStep(recordingEngine(calls), step, {
      onLine: () => {},
      besideStart: async () => {
        calls.push("copy begins");
        await new Promise<void>((done) => {
          finishCopy = done;
        });
        calls.push("copy done");
      },
    });
    await new Promise((r) => setTimeout(r, 20));
    // The start went out while the copy was still running; nothing waited on the container yet.
    expect(calls).toEqual(["create", "attach c1", "copy begins", "start c1"]);
    finishCopy();
    expect(await outcome).toEqual({ exitCode: 0, cancelled: false, containerId: "c1" });
    expect(calls.slice(4)).toEqual(["copy done", "wait c1"]);
  });

  it("kills (no grace) and removes the started container when the copy fails, and rethrows", async () => {
    const calls: string[] = [];
    const failing = runStep(recordingEngine(calls), step, {
      onLine: () => {},
      besideStart: async () => {
        throw new Error("copy refused");
      },
    });
    await expect(failing).rejects.toThrow("copy refused");
    expect(calls).toEqual(["create", "attach c1", "start c1", "stop c1 0", "remove c1"]);
  });

  it("the step's script waits for the copy's last entry, then removes it, before the first command", () => {
    const spec = stepContainerSpec({ ...step, commands: ["make"], waitForFile: "/workspace/.slipway-copied-1a2b" });
    const script = spec.cmd?.[0] ?? "";
    expect(script.indexOf("until [ -e '/workspace/.slipway-copied-1a2b' ]")).toBe(0);
    // Written means dated by the engine (its last step on an entry), not merely created: removing
    // it earlier fails the copy. The copy dates it 1 s past the epoch, older than /workspace.
    expect(script).toContain("[ '/workspace/.slipway-copied-1a2b' -ot '/workspace' ]");
    expect(script.indexOf("rm -f '/workspace/.slipway-copied-1a2b'")).toBeLessThan(script.indexOf("make"));
    expect(stepContainerSpec({ ...step, commands: ["make"] }).cmd?.[0]).not.toContain("until");
  });
});
