import { isOwnerAlive, LABEL } from "./labels.js";
import type { Engine, LabelledResource } from "./types.js";

export interface GcOptions {
  /** Decides whether the run owning a resource is alive; default: its owner process is running. */
  isAlive?: (labels: Record<string, string>) => boolean | Promise<boolean>;
  /** Only consider resources of this run (e.g. cleanup of one cancelled run). */
  runId?: string;
  dryRun?: boolean;
}

export interface GcReport {
  removed: LabelledResource[];
  kept: number;
}

/**
 * Removes every container, network and volume labelled by Slipway whose run is no longer
 * alive (environments excepted: a deployment outlives its run). Containers go first because networks and volumes in use cannot be removed.
 * Resources without Slipway's labels are never looked at.
 */
export async function collectGarbage(engine: Engine, options: GcOptions = {}): Promise<GcReport> {
  const filters: string[] = [LABEL.owner];
  if (options.runId) filters.push(`${LABEL.run}=${options.runId}`);
  const resources = await engine.listResources(filters);
  const isAlive = options.isAlive ?? isOwnerAlive;
  const dead: LabelledResource[] = [];
  let kept = 0;
  for (const resource of resources) {
    // Long-running environments outlive the run that deployed them by design.
    if (resource.labels[LABEL.role] === "environment" || (await isAlive(resource.labels))) kept++;
    else dead.push(resource);
  }
  const order = { container: 0, network: 1, volume: 2 } as const;
  dead.sort((a, b) => order[a.kind] - order[b.kind]);
  if (!options.dryRun) {
    for (const kind of ["container", "network", "volume"] as const) {
      await Promise.all(dead.filter((r) => r.kind === kind).map((r) => engine.removeResource(r)));
    }
  }
  return { removed: dead, kept };
}
