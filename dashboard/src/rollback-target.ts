/** The few fields of a deployment the rollback label reads (the API's Deployment has them all). */
export interface DeploymentLike {
  version: string;
  previousVersion: string | null;
  status: string;
}

/**
 * Where `rollback` without a version goes, to name it on the button before the user confirms.
 * It mirrors `rollbackDestination` in deploy/executor.ts (the browser bundle cannot import
 * deploy/, and test/unit/dashboard/rollback-target.test.ts keeps the two in step): a paused,
 * interrupted or awaiting-confirmation deployment returns to its previous version, otherwise the newest successful
 * version other than the current one. The daemon decides; this is only the label.
 */
export function defaultRollbackTarget(history: DeploymentLike[]): string | undefined {
  const current = history[0];
  if (!current) return undefined;
  if (current.status === "paused" || current.status === "interrupted" || current.status === "awaiting_confirm") {
    // Only a previous version the history still holds (the executor needs its recorded spec).
    return current.previousVersion ? history.find((d) => d.version === current.previousVersion)?.version : undefined;
  }
  return history.find((d) => d.status === "success" && d.version !== current.version)?.version;
}
