import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT } from "./fixture-repo.js";

/** Owner label of everything tests create; the global teardown treats leftovers as leaks. */
export const TEST_OWNER = "slipway-test";

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliRun {
  child: ChildProcess;
  /** Output so far (stdout + stderr interleaved). */
  output(): string;
  /** Resolves once the output matches. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  done: Promise<CliResult>;
}

/** Starts the real `slipway` binary as a child process, with a private data dir. */
export function startCli(args: string[], env: Record<string, string> = {}): CliRun {
  const dataDir = env.SLIPWAY_DATA_DIR ?? mkdtempSync(join(tmpdir(), "slipway-data-"));
  const child = spawn(process.execPath, [join(ROOT, "bin", "slipway.js"), ...args], {
    cwd: ROOT,
    env: { ...process.env, SLIPWAY_DATA_DIR: dataDir, SLIPWAY_RUNNER_ID: TEST_OWNER, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  let all = "";
  const waiters: { pattern: RegExp; resolve: () => void }[] = [];
  const onData = (chunk: Buffer, which: "out" | "err") => {
    const text = chunk.toString();
    if (which === "out") stdout += text;
    else stderr += text;
    all += text;
    for (const w of [...waiters]) {
      if (w.pattern.test(all)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  };
  child.stdout?.on("data", (c: Buffer) => onData(c, "out"));
  child.stderr?.on("data", (c: Buffer) => onData(c, "err"));
  const done = new Promise<CliResult>((resolve) => {
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return {
    child,
    output: () => all,
    done,
    waitFor(pattern, timeoutMs = 120_000) {
      if (pattern.test(all)) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`timed out waiting for ${pattern}; output:\n${all}`)),
          timeoutMs,
        );
        waiters.push({
          pattern,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
        void done.then(() => {
          clearTimeout(timer);
          if (!pattern.test(all)) reject(new Error(`slipway exited before ${pattern}; output:\n${all}`));
        });
      });
    },
  };
}

/** Runs `slipway ...` to completion. */
export function runCli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return startCli(args, env).done;
}
