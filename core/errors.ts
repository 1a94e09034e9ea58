/**
 * The one error base of Slipway. Every layer's error class derives from it so that the CLI,
 * the HTTP API and the run executor treat every failure the same way: they read `code` (a
 * stable `SLIPWAY_E_*` identifier, documented in docs/errors.md and its linked pages, which
 * tests match on), `httpStatus` (what the API answers with, where one applies), `exitCode`
 * (what `slipway` exits with) and `details` (structured data for the dashboard and JSON
 * answers), never the message.
 */
export interface SlipwayErrorOptions {
  cause?: unknown;
  /** The HTTP status an API answer carries for this error; absent where none applies. */
  httpStatus?: number;
  /** The process exit code of the CLI; 1 (a reported failure) unless said otherwise. */
  exitCode?: number;
  /** Structured facts (service, file position, problems, ...); frozen. */
  details?: Record<string, unknown>;
}

/** Exit code of a coded, user-facing failure (bad input, failed run step, refused request). */
export const EXIT_FAILURE = 1;
/** Exit code of an unexpected (uncoded) internal error. */
export const EXIT_INTERNAL = 2;
/** Exit code of a usage error (unknown option, missing argument), as most CLIs use. */
export const EXIT_USAGE = 2;
/** Exit code of a run cancelled by SIGINT/SIGTERM (128 + SIGINT), as shells report it. */
export const EXIT_CANCELLED = 130;

export class SlipwayError<Code extends string = string> extends Error {
  readonly code: Code;
  readonly httpStatus?: number;
  readonly exitCode: number;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: Code, message: string, options: SlipwayErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    if (options.httpStatus !== undefined) this.httpStatus = options.httpStatus;
    this.exitCode = options.exitCode ?? EXIT_FAILURE;
    this.details = Object.freeze({ ...(options.details ?? {}) });
  }

  /** `{error, message}` plus details: the shape every API error answer has (docs/api.md). */
  /**
   * The API's error body: `code` (issue 7's contract) and `error` (the same code, the field the
   * API answered with first, kept so existing clients keep matching) and the message.
   */
  toJSON(): { error: Code; code: Code; message: string } & Record<string, unknown> {
    return { ...this.details, error: this.code, code: this.code, message: this.message };
  }
}

export function isSlipwayError(err: unknown): err is SlipwayError {
  return err instanceof SlipwayError;
}

/** True when `err` is a SlipwayError carrying `code` (cause chains are not followed). */
export function hasCode(err: unknown, code: string): boolean {
  return isSlipwayError(err) && err.code === code;
}

/** The CLI's exit code for a thrown value: the error's own, or EXIT_INTERNAL for an uncoded one. */
export function exitCodeOf(err: unknown): number {
  return isSlipwayError(err) ? err.exitCode : EXIT_INTERNAL;
}

/** `CODE: message` for a SlipwayError, the bare message otherwise; what the CLI prints. */
export function describeError(err: unknown): string {
  if (isSlipwayError(err)) return `${err.code}: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}
