import { SlipwayError, type SlipwayErrorOptions } from "../core/index.js";

/**
 * Refusals of paths and archive entries that would leave the run's checkout. Messages name
 * the path as the pipeline (or the archive) wrote it and never a host path: a pushed commit
 * must not learn where the daemon keeps its data or which host files exist.
 */
export const CONTAINMENT_ERROR_CODES = {
  SLIPWAY_E_PATH_OUTSIDE_CHECKOUT:
    "A path the pipeline names (Dockerfile, build context, compose file, `extends`, `env_file`, `include`, `build.context`) is absolute, climbs out with `..`, or resolves outside the checkout through a symbolic link.",
  SLIPWAY_E_PATH_NOT_FOUND: "A path the pipeline names does not exist in the checkout.",
  SLIPWAY_E_PATH_WRONG_KIND:
    "A path the pipeline names exists in the checkout but is a directory where a file is needed, or the reverse.",
  SLIPWAY_E_ARTIFACT_PATH:
    "An artifact archive entry has an absolute name, a `..` component, a `.git` component, or a name longer than 4096 bytes (or a component longer than 255).",
  SLIPWAY_E_ARTIFACT_SYMLINK:
    "An artifact would be written through a symbolic link of the checkout, replace one, or is itself a symbolic link pointing outside the destination.",
  SLIPWAY_E_ARTIFACT_TYPE_CONFLICT:
    "An artifact would replace a file with a directory or a directory with a file (a file where a directory was, or the reverse).",
  SLIPWAY_E_ARTIFACT_LINK:
    "An artifact contains a hard link; artifacts are copied as regular files, directories and contained symbolic links only.",
  SLIPWAY_E_ARTIFACT_DEVICE: "An artifact contains a device file, a FIFO or another special file.",
  SLIPWAY_E_ARTIFACT_EXTRACT:
    "Writing an artifact failed for another reason (disk full, permissions, a truncated archive).",
} as const;

export type ContainmentErrorCode = keyof typeof CONTAINMENT_ERROR_CODES;

/** A refused path or archive entry, with a stable code. */
export class ContainmentError extends SlipwayError<ContainmentErrorCode> {
  constructor(code: ContainmentErrorCode, message: string, options?: SlipwayErrorOptions) {
    super(code, message, options);
  }
}

export function isContainmentError(err: unknown): err is ContainmentError {
  return err instanceof ContainmentError;
}
