import type { Problem, Severity } from "./types.js";

/**
 * Every code a pipeline problem can carry, with a one-line description.
 * Codes are part of the public contract (tests, CLI output, dashboard filters match on them),
 * so they are never renamed; `docs/pipeline-errors.md` documents each one and a unit test
 * keeps the two in step.
 */
export const PIPELINE_ERROR_CODES = {
  SLIPWAY_E_PIPELINE_NOT_FOUND: "The pipeline file does not exist or cannot be read.",
  SLIPWAY_E_PIPELINE_SYNTAX: "The file is not valid YAML (bad indentation, tabs, unclosed brackets, ...).",
  SLIPWAY_E_PIPELINE_EMPTY: "The file is empty or holds only whitespace and comments.",
  SLIPWAY_E_PIPELINE_NOT_A_MAP: "The document's root is not a mapping of keys to values.",
  SLIPWAY_E_PIPELINE_DUPLICATE_KEY: "The same key appears twice in one mapping.",
  SLIPWAY_E_PIPELINE_UNKNOWN_KEY: "A key is not part of the pipeline schema at this place.",
  SLIPWAY_E_PIPELINE_TYPE: "A value has the wrong type (for example a number where a list of strings is expected).",
  SLIPWAY_E_PIPELINE_REQUIRED: "A required key is missing.",
  SLIPWAY_E_PIPELINE_BAD_VALUE: "A value has the right type but is out of range or not one of the allowed words.",
  SLIPWAY_E_PIPELINE_BAD_DURATION:
    'A duration is neither a number of seconds nor a string like "90s", "250ms", "5m", "1h30m" or "30d".',
  SLIPWAY_E_PIPELINE_BAD_PATH: "A path that must stay inside the workspace is absolute or contains `..`.",
  SLIPWAY_E_PIPELINE_STAGE_KIND: "A stage has none, or more than one, of builder / package / compose / push / deploy.",
  SLIPWAY_E_PIPELINE_ONE_OF: "Keys that exclude each other are combined, or none of a required alternative is given.",
  SLIPWAY_E_PIPELINE_TOO_LARGE: "The pipeline file is over 1 MiB; it is refused before it is parsed.",
  SLIPWAY_E_PIPELINE_TOO_MANY:
    "More stages (100), parallel test stacks or shards (32), or artifact paths of one stage (100) than the limit.",
  SLIPWAY_E_PIPELINE_DUPLICATE_STAGE: "Two stages have the same name.",
  SLIPWAY_E_PIPELINE_UNKNOWN_BUILDER: "A stage (or a compose run) names a builder that `builders:` does not define.",
  SLIPWAY_E_PIPELINE_UNKNOWN_ENVIRONMENT: "A deploy stage names an environment that `environments:` does not define.",
  SLIPWAY_E_PIPELINE_UNKNOWN_WHEN:
    "A `when:` entry is not a git-flow kind (develop, feature, release, hotfix, main, tag, other).",
  SLIPWAY_E_PIPELINE_BAD_WINDOW:
    "An environment's `window:` has an unknown time zone, a day or hours range that cannot be read, or hours that end before they start.",
  SLIPWAY_E_PIPELINE_IGNORED_KEY:
    "A key that would have no effect with the keys around it (e.g. `approval_timeout` without `approval: manual`); refused rather than ignored.",
  SLIPWAY_E_PIPELINE_NOT_IMPLEMENTED:
    "A key or mode is valid in the schema's design but not implemented yet (e.g. `confirm_upgrade`); it is refused rather than ignored.",
} as const;

export type PipelineErrorCode = keyof typeof PIPELINE_ERROR_CODES;

export interface ProblemInit {
  file: string;
  line: number;
  column: number;
  path: string;
  code: PipelineErrorCode;
  message: string;
  severity?: Severity;
}

export function makeProblem(init: ProblemInit): Problem {
  return { severity: "error", ...init };
}

/** Compiler-style one-liner: `slipway.yml:12:5: error SLIPWAY_E_PIPELINE_UNKNOWN_KEY: ...`. */
export function formatProblem(p: Problem): string {
  return `${p.file}:${p.line}:${p.column}: ${p.severity} ${p.code}: ${p.message}`;
}

export function hasErrors(problems: readonly Problem[]): boolean {
  return problems.some((p) => p.severity === "error");
}

/** Problems in reading order, so output reads like a compiler's; the sort is stable. */
export function sortProblems(problems: Problem[]): Problem[] {
  return [...problems].sort((a, b) => a.line - b.line || a.column - b.column);
}

export function levenshtein(a: string, b: string): number {
  if (a === b) return 0;
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur[j] = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
    }
    prev = cur;
  }
  return prev[b.length] ?? 0;
}

/**
 * The closest candidate to a misspelt word, or undefined when nothing is close enough to be
 * a useful hint: an edit distance of at most 2, or one word being a prefix of the other
 * (`comp` → `compose`). Case is ignored because `Develop` for `develop` is a typo, too.
 */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  const w = word.toLowerCase();
  let best: string | undefined;
  let bestScore = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const c = candidate.toLowerCase();
    const distance = levenshtein(w, c);
    // Two edits turn any two-letter word into any other, so short words need a closer match.
    const near = distance <= 2 && distance < Math.max(w.length, c.length) - 1;
    const prefix = w.length >= 2 && c.length >= 2 && (c.startsWith(w) || w.startsWith(c));
    if (!near && !prefix) continue;
    // Prefer real near-misses over prefix matches; prefixes rank after any distance ≤ 2.
    const score = near ? distance : 3 + Math.abs(c.length - w.length) / 1000;
    if (score < bestScore) {
      best = candidate;
      bestScore = score;
    }
  }
  return best;
}

/** ` (did you mean "x"?)` or an empty string, for appending to a message. */
export function didYouMean(word: string, candidates: Iterable<string>): string {
  const hint = closest(word, candidates);
  return hint === undefined ? "" : ` (did you mean "${hint}"?)`;
}
