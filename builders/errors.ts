/** A builder or step failure with a stable code. */
export class BuilderError extends Error {
  readonly code: BuilderErrorCode;
  constructor(code: BuilderErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "BuilderError";
    this.code = code;
  }
}

export const BUILDER_ERROR_CODES = {
  SLIPWAY_E_BUILDER_NOT_IN_CATALOG: "A builder names a catalog entry (name/version) that Slipway does not ship.",
  SLIPWAY_E_BUILDER_BUILD_FAILED: "The builder image's Dockerfile failed to build.",
  SLIPWAY_E_ARTIFACT_MISSING: "A declared artifact path does not exist in the workspace after the stage.",
} as const;

export type BuilderErrorCode = keyof typeof BUILDER_ERROR_CODES;
