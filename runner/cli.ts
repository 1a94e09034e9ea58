import { describeError, EXIT_USAGE, exitCodeOf } from "../core/index.js";
import type { CliIo } from "./cli-io.js";
import { RunnerError } from "./errors.js";

const USAGE = `usage: slipway <command> [options]

commands:
  run [--repo DIR] [--ref REF] [--only STAGE...]   run a ref's pipeline on the local Docker engine
  validate [FILE]                                  check a pipeline file (default ./slipway.yml)
  gc [--dry-run]                                   remove containers, networks and volumes of dead runs
  serve [--config FILE]                            the daemon: follows repositories, queue, API on :8080
  demo [--keep-running] | demo --down              a sample repository through the daemon (develop, then v1.0)

client commands (talk to a daemon at $SLIPWAY_URL with $SLIPWAY_TOKEN):
  trigger REPO REF        runs [--repo R] [--status S]        logs RUN [--follow]
  cancel RUN              retry RUN [--from STAGE|failed]
  approve RUN [--comment TEXT] [--override-window]          reject RUN [--comment TEXT]
  token create NAME       token list                          token revoke ID
  deploy ENV VERSION      confirm ENV                         rollback ENV [VERSION]
  status ENV              history ENV [--batches]             (environments; --repo R with several)

environment: SLIPWAY_DATA_DIR (run numbers, artifacts), SLIPWAY_RUNNER_ID (owner label), DOCKER_HOST`;

type Verb = (args: string[], io: CliIo) => Promise<number>;

/**
 * Each verb is imported when it is called, so a verb loads only what it uses: the client
 * verbs (`runs`, `logs`, ...) and `--help` never load dockerode, the store drivers or
 * fastify, which is most of the start-up time (test/integration/cli/lazy-imports.test.ts).
 */
const VERBS: Record<string, () => Promise<Verb>> = {
  run: async () => (await import("./cli-local.js")).runCommand,
  validate: async () => (await import("./cli-validate.js")).validateCommand,
  gc: async () => (await import("./cli-local.js")).gcCommand,
  serve: async () => (await import("./cli-serve.js")).serveCommand,
  demo: async () => (await import("./cli-demo.js")).demoCommand,
  trigger: async () => (await import("./cli-remote.js")).triggerCommand,
  runs: async () => (await import("./cli-remote.js")).runsCommand,
  logs: async () => (await import("./cli-remote.js")).logsCommand,
  cancel: async () => (await import("./cli-remote.js")).cancelCommand,
  retry: async () => (await import("./cli-remote.js")).retryCommand,
  token: async () => (await import("./cli-remote.js")).tokenCommand,
  deploy: async () => (await import("./cli-environments.js")).deployCommand,
  confirm: async () => (await import("./cli-environments.js")).confirmCommand,
  rollback: async () => (await import("./cli-environments.js")).rollbackCommand,
  status: async () => (await import("./cli-environments.js")).statusCommand,
  history: async () => (await import("./cli-environments.js")).historyCommand,
  approve: async () => (await import("./cli-approvals.js")).approveCommand,
  reject: async () => (await import("./cli-approvals.js")).rejectCommand,
};

const stdio: CliIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/** Entry point of the `slipway` binary; returns the process exit code. */
export async function main(argv: string[], io: CliIo = stdio): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === "help" || command === "--help" || command === "-h") {
    io.out(USAGE);
    return command === undefined ? 2 : 0;
  }
  const load = Object.hasOwn(VERBS, command) ? VERBS[command] : undefined;
  if (!load) {
    io.err(`slipway: unknown command "${command}"\n${USAGE}`);
    return 2;
  }
  try {
    return await (await load())(rest, io);
  } catch (err) {
    // The exit code is the error's own (1 for a coded failure, 2 for a usage error); an
    // uncoded error is a bug: 2.
    const coded = usageError(err) ?? err;
    io.err(`slipway: ${describeError(coded)}`);
    return exitCodeOf(coded);
  }
}

/** node:util parseArgs refuses unknown or malformed options with ERR_PARSE_ARGS_* codes: a usage error. */
function usageError(err: unknown): RunnerError | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== "string" || !code.startsWith("ERR_PARSE_ARGS_")) return undefined;
  return new RunnerError("SLIPWAY_E_CLI_USAGE", (err as Error).message, { cause: err, exitCode: EXIT_USAGE });
}
