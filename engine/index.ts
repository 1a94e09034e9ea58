export { type ContextOptions, listContextFiles, packBuildContext } from "./build-context.js";
export { type ContainRequest, containPath, inside, isAbsoluteLike, repoRelative } from "./contain-path.js";
export {
  CONTAINMENT_ERROR_CODES,
  ContainmentError,
  type ContainmentErrorCode,
  isContainmentError,
} from "./containment-errors.js";
export { DockerEngine, splitRef } from "./docker-engine.js";
export { ENGINE_ERROR_CODES, EngineError, type EngineErrorCode, isGone } from "./errors.js";
export { collectGarbage, type GcOptions, type GcReport } from "./gc.js";
export {
  checkoutWorkspace,
  currentBranch,
  inspectRepo,
  originUrl,
  type ResolvedRef,
  resolveRef,
  workingTreeOf,
} from "./git.js";
export { type GitCredentials, GitMirror, type RemoteRef } from "./git-mirror.js";
export {
  currentLiveness,
  isOwnerAlive,
  LABEL,
  type Liveness,
  processStartTime,
  type Role,
  slipwayLabels,
} from "./labels.js";
export { splitLines } from "./lines.js";
export { checkEntry, checkEntryName, type ExtractOptions, extractArchive } from "./safe-extract.js";
export type {
  BuildSpec,
  ContainerSpec,
  ContainerState,
  Engine,
  ExecResult,
  LabelledResource,
  RegistryAuth,
} from "./types.js";
