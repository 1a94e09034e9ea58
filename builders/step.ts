import { posix } from "node:path";
import { shellQuote } from "../core/index.js";
import type { ContainerSpec, Engine } from "../engine/index.js";

/** The fixed path at which every step sees the run's copy of the source. */
export const WORKSPACE_PATH = "/workspace";

export interface StepSpec {
  image: string;
  commands: string[];
  env: Record<string, string>;
  /** Docker volume holding the run's workspace. */
  workspaceVolume: string;
  labels: Record<string, string>;
  name?: string;
  network?: string;
  /**
   * An absolute path the script waits for before its first command: the last entry of the
   * workspace copy made while the container starts (`runStep`'s `besideStart`). It is removed
   * once seen.
   */
  waitForFile?: string;
}

/**
 * The script a step runs under `/bin/sh -e`: each command is echoed as `$ command` before
 * it runs (as GitLab and Woodpecker do), so the log shows which command failed.
 */
export function stepScript(commands: string[]): string {
  return commands.map((cmd) => `printf '%s\\n' ${shellQuote(`$ ${cmd}`)}\n${cmd}`).join("\n");
}

/**
 * The wait for the workspace copy's last entry before a step's first command. The engine
 * writes an entry, closes it, then sets its owner, mode and times, in that order: the file
 * exists before the engine is done with it, and removing it then would fail the copy. So the
 * entry carries a modification time of 1 s past the epoch (`packBuildContext`'s `lastEntry`)
 * and counts as written once it is older than `/workspace` (whose time is that of the entry's
 * creation). A shell whose `test` has no `-ot` (it answers 2) takes the file's existence.
 * Looks every 10 ms (a `sleep` without fractions waits 1 s instead; an image without any
 * `sleep` polls without pause, and under `sh -e` a missing one must not end the script).
 * Not echoed: it is Slipway's, not the user's.
 */
export function waitForFileScript(path: string): string {
  const q = shellQuote(path);
  const written = `[ -e ${q} ] && { [ ${q} -ot ${shellQuote(posix.dirname(path))} ] 2>/dev/null; [ $? -ne 1 ]; }`;
  return `until ${written}; do sleep 0.01 2>/dev/null || sleep 1 2>/dev/null || :; done\nrm -f ${q} 2>/dev/null || :\n`;
}

/** Pure translation of a step into container options (table-tested, no I/O). */
export function stepContainerSpec(step: StepSpec): ContainerSpec {
  const wait = step.waitForFile ? waitForFileScript(step.waitForFile) : "";
  return {
    image: step.image,
    name: step.name,
    entrypoint: ["/bin/sh", "-e", "-c"],
    cmd: [wait + stepScript(step.commands)],
    env: { CI: "true", ...step.env },
    workingDir: WORKSPACE_PATH,
    binds: [`${step.workspaceVolume}:${WORKSPACE_PATH}`],
    labels: step.labels,
    network: step.network,
    // The step's shell would be PID 1, which ignores SIGTERM: a cancel would wait out the
    // whole grace period. Docker's init forwards the signal so steps stop at once.
    init: true,
  };
}

export interface StepOutcome {
  exitCode: number;
  /** Set when the step was cancelled; the container has been stopped. */
  cancelled: boolean;
  containerId: string;
}

/**
 * Runs a step container to completion, streaming its output line by line. The container is
 * left in place (stopped) so artifacts can be copied out; the caller removes it with
 * `engine.removeContainer`. On abort: SIGTERM, `graceSeconds`, then SIGKILL.
 */
export async function runStep(
  engine: Engine,
  step: StepSpec,
  opts: {
    onLine: (line: string, stream: "stdout" | "stderr") => void;
    signal?: AbortSignal;
    graceSeconds?: number;
    /** Runs on the created container before it starts (e.g. copying the workspace in through it). */
    beforeStart?: (containerId: string) => Promise<void>;
    /**
     * Runs while the container starts (the workspace copy its script waits for, `waitForFile`).
     * When it fails, the container is killed and removed and the error rethrown.
     */
    besideStart?: () => Promise<void>;
  },
): Promise<StepOutcome> {
  const id = await engine.createContainer(stepContainerSpec(step));
  let cancelled = false;
  const onAbort = () => {
    cancelled = true;
    void engine.stopContainer(id, opts.graceSeconds ?? 10).catch(() => {});
  };
  try {
    if (opts.signal?.aborted) return { exitCode: 130, cancelled: true, containerId: id };
    opts.signal?.addEventListener("abort", onAbort, { once: true });
    // The caller removes the container once this returns; when this throws, it is removed here.
    await opts.beforeStart?.(id).catch(async (err: unknown) => {
      await engine.removeContainer(id).catch(() => {});
      throw err;
    });
    const output = await engine.attachOutput(id, opts.onLine);
    // A cancel while the container was being prepared stopped nothing (it had not started):
    // it must not start now.
    if (opts.signal?.aborted) return { exitCode: 130, cancelled: true, containerId: id };
    const beside = opts.besideStart?.();
    // Awaited below, after the start; until then a failure is not unhandled.
    beside?.catch(() => {});
    try {
      await engine.startContainer(id);
    } catch (err) {
      await beside?.catch(() => {});
      throw err;
    }
    if (beside) {
      await beside.catch(async (err: unknown) => {
        // The script waits for a file that will never come: nothing to stop gracefully.
        await engine.stopContainer(id, 0).catch(() => {});
        await output.done.catch(() => {});
        await engine.removeContainer(id).catch(() => {});
        throw err;
      });
    }
    const exitCode = await engine.waitContainer(id);
    await output.done;
    return { exitCode: cancelled ? 130 : exitCode, cancelled, containerId: id };
  } finally {
    opts.signal?.removeEventListener("abort", onAbort);
  }
}
