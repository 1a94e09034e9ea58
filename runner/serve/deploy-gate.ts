/**
 * Orders deployments of one repository: deploy stages enter one at a time, in arrival order,
 * and when a newer run is already waiting behind an older one, the older one is superseded
 * (deploying a version about to be replaced is wasted work and a needless restart).
 */
export class DeployGate {
  private readonly tails = new Map<string, Promise<void>>();
  private readonly newestWaiting = new Map<string, number>();

  /** Waits for the repository's turn; `superseded` means a newer run is waiting: skip the deploy. */
  async enter(repository: string, runNumber: number): Promise<{ superseded: number | undefined; release(): void }> {
    this.newestWaiting.set(repository, Math.max(this.newestWaiting.get(repository) ?? 0, runNumber));
    const previous = this.tails.get(repository) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    this.tails.set(
      repository,
      previous.then(() => mine),
    );
    await previous;
    const newest = this.newestWaiting.get(repository) ?? runNumber;
    return { superseded: newest > runNumber ? newest : undefined, release };
  }
}
