/** Public surface of `store/`: the persistent store (SQLite by default, or PostgreSQL). */

export type * from "./approval-types.js";
export { APPROVAL_STATES } from "./approval-types.js";
export type * from "./deploy-queue-types.js";
export type * from "./deployment-types.js";
export { DEPLOYMENT_STATUSES, DEPLOYMENT_TRIGGERS } from "./deployment-types.js";
export { STORE_ERROR_CODES, StoreError, type StoreErrorCode } from "./errors.js";
export { LATEST_VERSION, MIGRATIONS, type Migration } from "./migrations.js";
export type * from "./notification-types.js";
export { DELIVERY_STATUSES } from "./notification-types.js";
export { type OpenStoreOptions, openStore, parseStoreUrl, SQLITE_FILE, type StoreTarget } from "./open-store.js";
export {
  acquireRunnerLock,
  LOCK_FILE,
  type LockHolder,
  probeRunnerLock,
  type RunnerLock,
  type RunnerLockOptions,
} from "./runner-lock.js";
export type { Store } from "./store.js";
export type * from "./types.js";
export { RUN_STATUSES, RUN_TRIGGERS, STAGE_STATUSES } from "./types.js";
