import type Docker from "dockerode";
import { EngineError } from "./errors.js";

/**
 * Follows a daemon progress stream (build, pull, push) to its end, one JSON event at a time.
 * An abort destroys the stream at once: the daemon sees its client go and stops the build,
 * pull or push (the legacy builder kills the running `RUN` container), and the caller does
 * not wait for it. Rejects with SLIPWAY_E_ENGINE_ABORTED then.
 */
export function followProgress<E>(
  modem: Docker["modem"],
  stream: NodeJS.ReadableStream,
  onEvent: (event: E) => void,
  what: string,
  signal?: AbortSignal,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    const settle = (err?: Error) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener("abort", onAbort);
      if (err) reject(err);
      else resolve();
    };
    const onAbort = () => {
      settle(abortedError(what, signal));
      (stream as NodeJS.ReadableStream & { destroy?(): void }).destroy?.();
    };
    if (signal?.aborted) return onAbort();
    signal?.addEventListener("abort", onAbort, { once: true });
    modem.followProgress(stream, (err: Error | null) => settle(err ?? undefined), onEvent);
  });
}

/** The error an aborted engine operation ends with; the signal's reason is its cause. */
export function abortedError(what: string, signal?: AbortSignal): EngineError {
  const reason = signal?.reason as Error | undefined;
  const why = reason?.name === "TimeoutError" ? "timed out" : "cancelled";
  return new EngineError("SLIPWAY_E_ENGINE_ABORTED", `${what} ${why}`, { cause: reason });
}

/** Throws SLIPWAY_E_ENGINE_ABORTED when the signal has aborted; a cheap check before starting work. */
export function throwIfAborted(what: string, signal?: AbortSignal): void {
  if (signal?.aborted) throw abortedError(what, signal);
}
