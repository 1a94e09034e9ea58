import { spawn } from "node:child_process";
import { splitLines } from "../engine/index.js";
import {
  buildInvocation,
  type ComposeCommand,
  type ComposeFlavor,
  type ComposeTarget,
  invocationArgv,
} from "./cli-args.js";
import { ComposeError } from "./errors.js";

/** The compose CLI found on this machine; every compose process Slipway starts goes through it. */
export interface ComposeCli {
  flavor: ComposeFlavor;
  /** As printed by `version --short`, e.g. `1.29.2` or `2.27.0`. */
  version: string;
}

/** Outcome of one compose process; a non-zero exit is a result, not an exception. */
export interface ComposeExecResult {
  exitCode: number;
  out: string;
  err: string;
}

export interface ComposeExecOptions {
  /** Environment of the compose process, on top of this process's (for `${IMAGE}` and the like). */
  env?: Record<string, string>;
  cwd?: string;
  /** Each output line as it comes, stdout and stderr alike. */
  onLine?: (line: string) => void;
  /**
   * Cancel or stage timeout: the compose process gets SIGTERM (compose stops what it started
   * in the foreground), then SIGKILL after KILL_AFTER_MS. The result still comes from its exit.
   */
  signal?: AbortSignal;
}

/** How long an aborted compose process may take to end after SIGTERM. */
const KILL_AFTER_MS = 5_000;

let detected: Promise<ComposeCli> | undefined;

/**
 * Finds the compose CLI: `docker compose` (v2) first, then `docker-compose` (v1). The answer
 * is cached for the process. `SLIPWAY_COMPOSE=v1|v2` forces one flavour (useful where both
 * exist and one misbehaves).
 */
export function detectCompose(options: { refresh?: boolean } = {}): Promise<ComposeCli> {
  if (!detected || options.refresh) {
    detected = probe();
    // A failed detection is not cached: the user may install compose and retry.
    detected.catch(() => {
      detected = undefined;
    });
  }
  return detected;
}

async function probe(): Promise<ComposeCli> {
  const forced = process.env.SLIPWAY_COMPOSE;
  const order: ComposeFlavor[] = forced === "v1" || forced === "v2" ? [forced] : ["v2", "v1"];
  const failures: string[] = [];
  for (const flavor of order) {
    const cli: ComposeCli = { flavor, version: "" };
    try {
      const result = await runCompose(cli, undefined, { kind: "version" });
      const version = result.out.trim().replace(/^v/, "");
      if (result.exitCode === 0 && /^\d+\.\d+/.test(version)) return { ...cli, version };
      failures.push(`${flavor}: exit ${result.exitCode}: ${(result.err || result.out).trim().split("\n")[0]}`);
    } catch (err) {
      failures.push(`${flavor}: ${(err as Error).message}`);
    }
  }
  throw new ComposeError(
    "SLIPWAY_E_COMPOSE_NOT_FOUND",
    `no compose CLI found (tried ${order.map((f) => (f === "v2" ? "`docker compose`" : "`docker-compose`")).join(", ")}): ${failures.join("; ")}. Install the Docker Compose v2 plugin or docker-compose 1.29.`,
  );
}

/**
 * Runs one compose command. The arguments are the `docker-compose` npm package's model
 * (compose options, command, args); the process is spawned here rather than through its
 * `execCompose`, which waits a fixed 500 ms after every exit: ~2 s per stack (up, run, logs,
 * down), which alone broke the 1.2x overhead budget over raw `docker-compose`.
 */
export async function runCompose(
  cli: ComposeCli,
  target: ComposeTarget | undefined,
  cmd: ComposeCommand,
  options: ComposeExecOptions = {},
): Promise<ComposeExecResult> {
  const inv = buildInvocation(cli.flavor, target, cmd);
  const { file, argv } = invocationArgv(cli.flavor, inv);
  const lines = options.onLine ? splitLines(options.onLine) : undefined;
  return new Promise<ComposeExecResult>((resolve, reject) => {
    const child = spawn(file, argv, {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let killTimer: NodeJS.Timeout | undefined;
    const onAbort = () => {
      child.kill("SIGTERM");
      killTimer = setTimeout(() => child.kill("SIGKILL"), KILL_AFTER_MS);
      killTimer.unref();
    };
    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener("abort", onAbort, { once: true });
    const out = new TailBuffer(MAX_OUTPUT);
    const err = new TailBuffer(MAX_OUTPUT);
    child.stdout.on("data", (chunk: Buffer) => {
      out.push(chunk);
      lines?.push(chunk.toString("utf8"));
    });
    child.stderr.on("data", (chunk: Buffer) => {
      err.push(chunk);
      lines?.push(chunk.toString("utf8"));
    });
    child.on("error", (error) => {
      reject(
        new ComposeError(
          "SLIPWAY_E_COMPOSE_NOT_FOUND",
          `could not run ${file} ${argv.slice(0, 2).join(" ")}: ${error.message}`,
          {
            cause: error,
          },
        ),
      );
    });
    child.on("close", (code) => {
      options.signal?.removeEventListener("abort", onAbort);
      clearTimeout(killTimer);
      lines?.end();
      // A process killed by a signal has no exit code; report it as failed.
      resolve({ exitCode: code ?? 1, out: out.text(), err: err.text() });
    });
  });
}

/** Test output can be large; only the tail matters for error messages. */
const MAX_OUTPUT = 1_000_000;

class TailBuffer {
  private chunks: Buffer[] = [];
  private size = 0;
  constructor(private readonly max: number) {}
  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size > this.max && this.chunks.length > 1) this.size -= this.chunks.shift()?.length ?? 0;
  }
  text(): string {
    return Buffer.concat(this.chunks).toString("utf8");
  }
}

/** The last `count` non-empty lines of a compose process's output, for error messages. */
export function tailLines(result: ComposeExecResult, count: number): string[] {
  return `${result.out}\n${result.err}`
    .split("\n")
    .map((line) => line.trimEnd())
    .filter((line) => line !== "")
    .slice(-count);
}
