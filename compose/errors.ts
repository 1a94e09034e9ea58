import { SlipwayError } from "../core/index.js";

/**
 * Every way a compose stage can fail, with a stable code. Tests assert the code, never the
 * message; `docs/compose.md` lists every code (a unit test keeps the two in step).
 */
export const COMPOSE_ERROR_CODES = {
  SLIPWAY_E_COMPOSE_NOT_FOUND:
    "Neither `docker compose` (v2 plugin) nor `docker-compose` (v1) could be run on this machine.",
  SLIPWAY_E_COMPOSE_FILE: "The stage's compose file is missing, unreadable, not valid YAML or has no `services:`.",
  SLIPWAY_E_COMPOSE_CONTAINER_NAME:
    "A service of a test stack sets `container_name`, which would make parallel stacks collide; remove it.",
  SLIPWAY_E_COMPOSE_CONFIG:
    "The compose stage itself is inconsistent (no `run:`, a `run.service` the compose file does not define, a malformed `wait:` entry).",
  SLIPWAY_E_COMPOSE_UP: "`compose up` failed (bad compose file, missing image, port or build error).",
  SLIPWAY_E_COMPOSE_UNHEALTHY: "A service reported `unhealthy` or exited with a non-zero code before the tests ran.",
  SLIPWAY_E_COMPOSE_WAIT_TIMEOUT:
    "A service (or a `wait.tcp` / `wait.http` check) was not ready within `wait.timeout`.",
  SLIPWAY_E_COMPOSE_TESTS_FAILED: "The test command exited with a non-zero code.",
  SLIPWAY_E_COMPOSE_TIMEOUT: "The stage ran longer than its `timeout`; its stacks were torn down.",
  SLIPWAY_E_COMPOSE_CANCELLED: "The run was cancelled (SIGINT/SIGTERM or an API cancel); its stacks were torn down.",
  SLIPWAY_E_COMPOSE_DOWN:
    "Tearing a stack down failed; leftovers carry Slipway's labels and `slipway gc` removes them.",
  SLIPWAY_E_COMPOSE_UNTRUSTED:
    "A compose file of an untrusted repository asks for a host-level power (a bind mount outside the checkout, privileged, cap_add, a host namespace, devices, the Docker socket); trust the repository or remove it.",
  SLIPWAY_E_COMPOSE_JUNIT:
    "A JUnit XML file the tests wrote could not be parsed (the stage result still counts the rest).",
} as const;

export type ComposeErrorCode = keyof typeof COMPOSE_ERROR_CODES;

/** Where in a file a problem sits, for `file:line:column` messages. */
export interface ComposePosition {
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
}

/**
 * A compose-stage failure with a stable `code`, an actionable message and an optional cause;
 * the service and file position are also in `details` for structured answers.
 */
export class ComposeError extends SlipwayError<ComposeErrorCode> {
  /** The service concerned, when there is one. */
  readonly service?: string;
  readonly position?: ComposePosition;

  constructor(
    code: ComposeErrorCode,
    message: string,
    options: { cause?: unknown; service?: string; position?: ComposePosition } = {},
  ) {
    const details: Record<string, unknown> = {};
    if (options.service !== undefined) details.service = options.service;
    if (options.position !== undefined) details.position = options.position;
    super(code, message, { cause: options.cause, details });
    this.service = options.service;
    this.position = options.position;
  }
}

export function isComposeError(err: unknown): err is ComposeError {
  return err instanceof ComposeError;
}
