import type {
  DeploymentBatchEventJson,
  DeploymentEventJson,
  DeploymentJson,
  EnvironmentLockEventJson,
} from "../../api-schema/index.js";
import type { DeploymentRow, DeploymentStore, EnvironmentKey, LockRow } from "../../store/index.js";

/** What `/api/events` tells about deployments: its `event:` name and the message, as the schemas say. */
export type DeploymentLiveEvent =
  | { type: "deployment"; data: DeploymentEventJson }
  | { type: "batch"; data: DeploymentBatchEventJson }
  | { type: "lock"; data: EnvironmentLockEventJson };

/**
 * The deploy executor's records with a publisher: every deployment recorded or updated, every
 * batch added, every lock taken or freed is published once the store has it (renewals of a
 * lease are not: they change nothing a reader shows). Like `observeDeployments`, wrapping the
 * records keeps `deploy/` unaware of the API. A failing listener never fails the store call.
 */
export function publishDeployments(
  records: DeploymentStore,
  publish: (event: DeploymentLiveEvent) => void,
): DeploymentStore {
  // A batch names only its deployment: the environment it belongs to, from the rows seen.
  const keys = new Map<string, EnvironmentKey>();
  const send = (event: DeploymentLiveEvent) => {
    try {
      publish(event);
    } catch {
      // A listener's bug must not fail a deployment.
    }
  };
  const deployment = (row: DeploymentRow | undefined) => {
    if (!row) return row;
    keys.set(row.id, { repository: row.repository, environment: row.environment });
    send({ type: "deployment", data: { deployment: deploymentJson(row) } });
    return row;
  };
  const wrapped: Partial<DeploymentStore> = {
    createDeployment: async (input) => deployment(await records.createDeployment(input)) as DeploymentRow,
    updateDeployment: async (id, patch) => deployment(await records.updateDeployment(id, patch)),
    addBatch: async (id, batch) => {
      const row = await records.addBatch(id, batch);
      const key =
        keys.get(id) ??
        (await records.getDeployment(id).then(
          (d) => d,
          () => undefined,
        ));
      if (key) {
        const { repository, environment } = key;
        send({ type: "batch", data: { repository, environment, batch: row } });
      }
      return row;
    },
    acquireLock: async (key, holder, leaseMs, deploymentId) => {
      const got = await records.acquireLock(key, holder, leaseMs, deploymentId);
      if (got.acquired) send({ type: "lock", data: { ...keyOf(key), lock: lockJson(got.lock) } });
      return got;
    },
    releaseLock: async (key, holder) => {
      const freed = await records.releaseLock(key, holder);
      if (freed) send({ type: "lock", data: { ...keyOf(key), lock: null } });
      return freed;
    },
  };
  return new Proxy(records, {
    get(target, name, receiver) {
      const own = wrapped[name as keyof DeploymentStore];
      if (own) return own;
      const value = Reflect.get(target, name, receiver);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/** The API's shape of a deployment: the row without its internal `spec` (a version's variables). */
function deploymentJson(row: DeploymentRow): DeploymentJson {
  return {
    id: row.id,
    repository: row.repository,
    environment: row.environment,
    version: row.version,
    previousVersion: row.previousVersion,
    strategy: row.strategy,
    trigger: row.trigger,
    actor: row.actor,
    runId: row.runId,
    rollbackOf: row.rollbackOf,
    status: row.status,
    outcome: row.outcome,
    rollbackReason: row.rollbackReason,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    finishedAt: row.finishedAt,
  };
}

function lockJson(lock: LockRow): NonNullable<EnvironmentLockEventJson["lock"]> {
  return {
    holder: lock.holder,
    deploymentId: lock.deploymentId,
    acquiredAt: lock.acquiredAt,
    expiresAt: lock.expiresAt,
  };
}

function keyOf(key: EnvironmentKey): EnvironmentKey {
  return { repository: key.repository, environment: key.environment };
}
