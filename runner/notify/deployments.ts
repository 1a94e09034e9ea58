import type { DeploymentRow, DeploymentStore } from "../../store/index.js";

// Ends, and the two stops that wait for someone's `confirm` or `rollback`.
const REPORTED = new Set(["success", "failed", "rolled_back", "paused", "awaiting_confirm"]);

/**
 * The deploy executor's records with an observer: every update that moves a deployment to an
 * end (success, failed, rolled back) or to a stop that waits for an operator (paused, awaiting
 * confirmation) is reported once the store has it. Wrapping the records
 * rather than changing deploy/ keeps the executor unaware of notifications.
 */
export function observeDeployments(records: DeploymentStore, onEnd: (row: DeploymentRow) => void): DeploymentStore {
  return new Proxy(records, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      if (key !== "updateDeployment" || typeof value !== "function") {
        return typeof value === "function" ? value.bind(target) : value;
      }
      return async (id: string, patch: Parameters<DeploymentStore["updateDeployment"]>[1]) => {
        const row = await target.updateDeployment(id, patch);
        if (row && patch.status !== undefined && REPORTED.has(row.status)) onEnd(row);
        return row;
      };
    },
  });
}
