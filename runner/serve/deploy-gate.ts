/**
 * Orders the deploy stages of one environment inside this daemon: they enter one at a time,
 * in arrival order, and an older run still waiting when a newer run of the same environment
 * is also waiting is superseded (deploying a version about to be replaced is wasted work and
 * a needless restart). Only runs waiting at the same time supersede each other: a retry of
 * run #9 after #10 has deployed is nobody's predecessor and deploys #9. Between runners the
 * store's environment lock orders deployments (`deploy/`); superseding is per daemon.
 */
export class DeployGate {
  private readonly tails = new Map<string, Promise<void>>();
  private readonly waiting = new Map<string, Set<number>>();

  /** Waits for the environment's turn; `superseded` names the newer waiting run: skip the deploy. */
  async enter(environment: string, runNumber: number): Promise<{ superseded: number | undefined; release(): void }> {
    const waiting = this.waiting.get(environment) ?? new Set<number>();
    this.waiting.set(environment, waiting);
    waiting.add(runNumber);
    const previous = this.tails.get(environment) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    this.tails.set(
      environment,
      previous.then(() => mine),
    );
    await previous;
    waiting.delete(runNumber);
    const newer = [...waiting].filter((n) => n > runNumber);
    return { superseded: newer.length > 0 ? Math.max(...newer) : undefined, release };
  }
}
