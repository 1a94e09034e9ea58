export {
  type BuilderSource,
  builderSource,
  CATALOG_DIR,
  contentHash,
  type ResolvedBuilder,
  resolveBuilderImage,
} from "./builder-image.js";
export { BUILDER_ERROR_CODES, BuilderError, type BuilderErrorCode } from "./errors.js";
export { DEFAULT_CA_DIR, type ExtraCa, extraCaCertificates } from "./extra-cas.js";
export { ociLabels, type PackageSpec, packageImage } from "./package-image.js";
export {
  runStep,
  type StepOutcome,
  type StepSpec,
  stepContainerSpec,
  stepScript,
  WORKSPACE_PATH,
} from "./step.js";
export { Workspace } from "./workspace.js";
