import { SlipwayError, type SlipwayErrorOptions } from "../core/index.js";

/** A failure talking to the Docker engine or git, with a stable code for tests and docs. */
export class EngineError extends SlipwayError<EngineErrorCode> {
  constructor(code: EngineErrorCode, message: string, options?: SlipwayErrorOptions) {
    super(code, message, options);
  }
}

export const ENGINE_ERROR_CODES = {
  SLIPWAY_E_ENGINE_UNREACHABLE: "The Docker engine did not answer (is dockerd running, is the socket mounted?).",
  SLIPWAY_E_ENGINE_PULL_FAILED: "An image was missing locally and could not be pulled.",
  SLIPWAY_E_ENGINE_BUILD_FAILED: "`docker build` failed; the message holds the builder's last output.",
  SLIPWAY_E_ENGINE_PUSH_FAILED:
    "A push was refused by the registry (authentication, network, name); the message is the registry's.",
  SLIPWAY_E_ENGINE_ABORTED:
    "A build, pull or push was cut short by a cancel or a stage timeout; the daemon was told to stop it.",
  SLIPWAY_E_ENGINE_CONTEXT: "The build context could not be read (missing directory or Dockerfile).",
  SLIPWAY_E_GIT_REF_NOT_FOUND: "The requested ref is neither a branch, a tag nor a commit of the repository.",
  SLIPWAY_E_GIT_NOT_A_REPO: "The given directory is not a git repository.",
} as const;

export type EngineErrorCode = keyof typeof ENGINE_ERROR_CODES;

/** True for the engine's 'no such container/network/volume' (404) and 'already stopped' (304) answers. */
export function isGone(err: unknown): boolean {
  const status = (err as { statusCode?: number })?.statusCode;
  return status === 404 || status === 304;
}
