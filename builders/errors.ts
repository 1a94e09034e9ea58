import { SlipwayError, type SlipwayErrorOptions } from "../core/index.js";

/** A builder or step failure with a stable code. */
export class BuilderError extends SlipwayError<BuilderErrorCode> {
  constructor(code: BuilderErrorCode, message: string, options?: SlipwayErrorOptions) {
    super(code, message, options);
  }
}

export const BUILDER_ERROR_CODES = {
  SLIPWAY_E_BUILDER_NOT_IN_CATALOG: "A builder names a catalog entry (name/version) that Slipway does not ship.",
  SLIPWAY_E_BUILDER_BUILD_FAILED: "The builder image's Dockerfile failed to build.",
  SLIPWAY_E_ARTIFACT_MISSING: "A declared artifact path does not exist in the workspace after the stage.",
} as const;

export type BuilderErrorCode = keyof typeof BUILDER_ERROR_CODES;
