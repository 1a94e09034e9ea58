/**
 * The abort reason of a run cut short because its runner is shutting down (SIGTERM after the
 * shutdown grace). Unlike a user's cancel, such a run did not fail on its own and was not
 * abandoned on purpose: it is recorded `failed` with an `interrupted: ...` error, the same way
 * a crash is reconciled at restart, so `slipway retry --from failed` replays it.
 */
export class RunInterruption extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RunInterruption";
  }
}

export function isInterruption(reason: unknown): reason is RunInterruption {
  return reason instanceof RunInterruption;
}
