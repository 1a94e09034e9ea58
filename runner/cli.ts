import type { CliIo } from "./cli-io.js";

const USAGE = `usage: slipway <command> [options]

commands:
  run [--repo DIR] [--ref REF] [--only STAGE...]   run a ref's pipeline on the local Docker engine
  validate [FILE]                                  check a pipeline file (default ./slipway.yml)
  gc [--dry-run]                                   remove containers, networks and volumes of dead runs
  serve [--config FILE]                            the daemon: follows repositories, queue, API on :8080

client commands (talk to a daemon at $SLIPWAY_URL with $SLIPWAY_TOKEN):
  trigger REPO REF        runs [--repo R] [--status S]        logs RUN [--follow]
  cancel RUN              retry RUN [--from STAGE|failed]
  token create NAME       token list                          token revoke ID

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
  trigger: async () => (await import("./cli-remote.js")).triggerCommand,
  runs: async () => (await import("./cli-remote.js")).runsCommand,
  logs: async () => (await import("./cli-remote.js")).logsCommand,
  cancel: async () => (await import("./cli-remote.js")).cancelCommand,
  retry: async () => (await import("./cli-remote.js")).retryCommand,
  token: async () => (await import("./cli-remote.js")).tokenCommand,
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
    // Coded errors (engine, store, config, API, parseArgs) exit 1; anything else is a bug: 2.
    const e = err as Error & { code?: string };
    io.err(`slipway: ${e.code ? `${e.code}: ` : ""}${e.message}`);
    return e.code ? 1 : 2;
  }
}
