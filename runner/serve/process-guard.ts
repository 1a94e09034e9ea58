import { AsyncLocalStorage } from "node:async_hooks";
import { ServeError } from "./listen.js";

/** The run an async operation belongs to; set by the scheduler around each run's execution. */
export interface RunScope {
  runId: string;
  /** Fails the run (aborts it with a SLIPWAY_E_SERVE_UNEXPECTED reason; its cleanup runs). */
  fail(err: ServeError): void;
}

/**
 * Async context of the run being executed. Node keeps it across awaits, timers and stream
 * callbacks, and the process's `unhandledRejection` / `uncaughtException` handlers run in the
 * context of the failed operation, which is how a stray rejection deep in a stage (a tar
 * extraction, a stream callback) is traced back to its run.
 */
export const runScope = new AsyncLocalStorage<RunScope>();

export interface GuardOptions {
  log(line: string): void;
  /** Counts one unexpected error (`slipway_unexpected_errors_total{source}`). */
  count(source: string): void;
}

/**
 * The daemon's last line of defence: no rejection or exception that nothing handled ends the
 * process. Each is logged with its stack, counted, and fails the run it belongs to when there
 * is one; the API, the queue and every other run carry on. Returns the uninstaller.
 *
 * Keeping the process alive after an uncaught exception is a deliberate trade: the daemon's
 * state lives in the store, every run's resources are labelled, and the alternative is that
 * one pushed commit that trips a bug takes every other team's runs down with it.
 */
export function installProcessGuard(options: GuardOptions): () => void {
  const handle = (source: "unhandledRejection" | "uncaughtException") => (reason: unknown) => {
    const err = reason instanceof Error ? reason : new Error(String(reason));
    const scope = runScope.getStore();
    options.count(source);
    options.log(
      `SLIPWAY_E_SERVE_UNEXPECTED: ${source}${scope ? ` in run ${scope.runId}` : ""}: ${err.stack ?? err.message}`,
    );
    scope?.fail(
      new ServeError("SLIPWAY_E_SERVE_UNEXPECTED", `internal error (${source}): ${err.message}`, { cause: err }),
    );
  };
  const onRejection = handle("unhandledRejection");
  const onException = handle("uncaughtException");
  process.on("unhandledRejection", onRejection);
  process.on("uncaughtException", onException);
  return () => {
    process.off("unhandledRejection", onRejection);
    process.off("uncaughtException", onException);
  };
}
