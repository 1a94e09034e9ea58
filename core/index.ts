// core/: the bottom layer. It imports nothing from the project; every other folder may use it.
export { type DurationOptions, type DurationResult, formatDuration, parseDuration } from "./duration.js";
export {
  describeError,
  EXIT_CANCELLED,
  EXIT_FAILURE,
  EXIT_INTERNAL,
  EXIT_USAGE,
  exitCodeOf,
  hasCode,
  isSlipwayError,
  SlipwayError,
  type SlipwayErrorOptions,
} from "./errors.js";
export { deepFreeze } from "./freeze.js";
export { type GlobMatcher, globBase, globStaysInside, nameGlob, pathGlob } from "./glob.js";
export { shellQuote } from "./shell.js";
export { readStoreUrl, type StoreLocation, type StoreUrlReading } from "./store-url.js";
export {
  describeNode,
  isMap,
  isNullNode,
  isScalar,
  isSeq,
  joinPath,
  type Position,
  parseYaml,
  preloadYaml,
  stringifyYaml,
  YamlFileCheck,
  type YamlIssue,
  YamlSource,
} from "./yaml-source.js";
