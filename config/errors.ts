import { SlipwayError } from "../core/index.js";

/**
 * Every code `loadConfig` can report. Codes are a public contract (the CLI prints them, tests
 * and scripts match on them), so they are never renamed; `docs/config.md` documents each one
 * and `test/unit/config/error-codes.test.ts` keeps the two in step.
 */
export const CONFIG_ERROR_CODES = {
  SLIPWAY_E_CONFIG_NOT_FOUND: "The configuration file given with --config (or $SLIPWAY_CONFIG) cannot be read.",
  SLIPWAY_E_CONFIG_INVALID: "The configuration has problems; the error lists every one of them.",
  SLIPWAY_E_CONFIG_SYNTAX: "The configuration file is not valid YAML.",
  SLIPWAY_E_CONFIG_UNKNOWN_KEY: "A key is not part of the configuration schema at this place.",
  SLIPWAY_E_CONFIG_TYPE: "A value has the wrong type (a list where a map is expected, ...).",
  SLIPWAY_E_CONFIG_REQUIRED: "A required key is missing.",
  SLIPWAY_E_CONFIG_BAD_VALUE: "A value has the right type but not an accepted form or range.",
  SLIPWAY_E_CONFIG_DUPLICATE: "A key, repository name, registry host or token name appears twice.",
  SLIPWAY_E_CONFIG_PLAINTEXT_SECRET: "A secret is written in clear instead of coming from {env: ...} or {file: ...}.",
  SLIPWAY_E_CONFIG_SECRET_UNRESOLVED: "A secret reference names an unset variable or an unreadable or empty file.",
  SLIPWAY_E_CONFIG_BAD_ENV: "A SLIPWAY_* environment variable holds a value that is not accepted.",
} as const;

export type ConfigErrorCode = keyof typeof CONFIG_ERROR_CODES;

/**
 * One problem in the configuration. `file` is the config file, or `$NAME` for an environment
 * variable, which has no line or column.
 */
export interface ConfigProblem {
  readonly file: string;
  readonly line?: number;
  readonly column?: number;
  /** Where in the document: `repositories[1].url`, or the key an environment variable overrides. */
  readonly path: string;
  readonly code: ConfigErrorCode;
  readonly message: string;
}

/** Compiler-style, like pipeline problems: `slipway.config.yml:4:3: error SLIPWAY_E_CONFIG_...: ...`. */
export function formatConfigProblem(p: ConfigProblem): string {
  const where = p.line === undefined ? p.file : `${p.file}:${p.line}:${p.column ?? 1}`;
  return `${where}: error ${p.code}: ${p.message}`;
}

/**
 * Thrown by `loadConfig`. `code` is `SLIPWAY_E_CONFIG_INVALID` (with every problem in
 * `problems` and in the message, so one start-up shows them all) or
 * `SLIPWAY_E_CONFIG_NOT_FOUND`.
 */
export class ConfigError extends SlipwayError<"SLIPWAY_E_CONFIG_INVALID" | "SLIPWAY_E_CONFIG_NOT_FOUND"> {
  readonly problems: readonly ConfigProblem[];

  constructor(
    code: ConfigError["code"],
    problems: readonly ConfigProblem[],
    options?: { cause?: unknown; summary?: string },
  ) {
    const summary =
      options?.summary ??
      `${problems.length} problem${problems.length === 1 ? "" : "s"} in the configuration of slipway serve:`;
    const frozen = Object.freeze([...problems]);
    super(code, [summary, ...problems.map(formatConfigProblem)].join("\n"), {
      cause: options?.cause,
      details: { problems: frozen },
    });
    this.problems = frozen;
  }
}
