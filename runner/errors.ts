import { SlipwayError, type SlipwayErrorOptions } from "../core/index.js";

/**
 * Codes of the orchestration layer (run numbers, run setup, the CLI client). Documented in
 * docs/errors.md; the catalogue test keeps the two in step.
 */
export const RUNNER_ERROR_CODES = {
  SLIPWAY_E_RUN_NUMBER:
    "The run-number counter of a repository could not be read or written (unreadable or corrupt file, lock held).",
  SLIPWAY_E_RUN_UNKNOWN_REPOSITORY: "A queued run names a repository the configuration no longer has.",
  SLIPWAY_E_RUN_INVALID_PIPELINE: "The pipeline file of the commit has problems; the run's setup log lists them.",
  SLIPWAY_E_RUN_UNKNOWN_STAGE: "A retry or `--only` names a stage the pipeline does not have.",
  SLIPWAY_E_CLI_USAGE: "A command was given an unknown or malformed option (exit code 2).",
  SLIPWAY_E_API_UNREACHABLE: "The daemon at `SLIPWAY_URL` did not answer (connection refused, unknown host).",
  SLIPWAY_E_DEMO:
    "`slipway demo` could not set itself up: examples/hello-node missing, `docker-registry` exited, or its daemon answered an error.",
  SLIPWAY_E_API: "The server answered an error without a Slipway code (a proxy's error page, say).",
} as const;

export type RunnerErrorCode = keyof typeof RUNNER_ERROR_CODES;

export class RunnerError extends SlipwayError<RunnerErrorCode> {
  constructor(code: RunnerErrorCode, message: string, options?: SlipwayErrorOptions) {
    super(code, message, options);
  }
}
