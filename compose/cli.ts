import { execCompose, type IDockerComposeExecutableOptions, type IDockerComposeResult } from "docker-compose";
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
  /** How the `docker-compose` npm package should spawn this flavour. */
  executable: IDockerComposeExecutableOptions;
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
}

const EXECUTABLES: Record<ComposeFlavor, IDockerComposeExecutableOptions> = {
  v2: { executablePath: "docker" },
  v1: { standalone: true, executablePath: "docker-compose" },
};

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
    const cli: ComposeCli = { flavor, version: "", executable: EXECUTABLES[flavor] };
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

/** Runs one compose command through the `docker-compose` npm package. */
export async function runCompose(
  cli: ComposeCli,
  target: ComposeTarget | undefined,
  cmd: ComposeCommand,
  options: ComposeExecOptions = {},
): Promise<ComposeExecResult> {
  const inv = buildInvocation(cli.flavor, target, cmd);
  const lines = options.onLine ? splitLines(options.onLine) : undefined;
  try {
    const result = await execCompose(inv.command, inv.args, {
      executable: cli.executable,
      composeOptions: inv.composeOptions,
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      // Test output can be large; only the tail matters for error messages.
      maxOutputLength: 1_000_000,
      callback: lines ? (chunk) => lines.push(chunk.toString("utf8")) : undefined,
    });
    lines?.end();
    return toResult(result);
  } catch (err) {
    lines?.end();
    // The package rejects with its result object on a non-zero exit, with an Error when
    // the executable could not be spawned at all.
    if (isComposeResult(err)) return toResult(err);
    const { file, argv } = invocationArgv(cli.flavor, inv);
    throw new ComposeError(
      "SLIPWAY_E_COMPOSE_NOT_FOUND",
      `could not run ${file} ${argv.slice(0, 2).join(" ")}: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
}

function isComposeResult(value: unknown): value is IDockerComposeResult {
  return typeof value === "object" && value !== null && "exitCode" in value && "out" in value;
}

function toResult(result: IDockerComposeResult): ComposeExecResult {
  // A process killed by a signal has no exit code; report it as failed.
  return { exitCode: result.exitCode ?? 1, out: result.out, err: result.err };
}

/** The last `count` non-empty lines of a compose process's output, for error messages. */
export function tailLines(result: ComposeExecResult, count: number): string[] {
  return `${result.out}\n${result.err}`
    .split("\n")
    .map((line) => line.trimEnd())
    .filter((line) => line !== "")
    .slice(-count);
}
