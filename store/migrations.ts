import { StoreError } from "./errors.js";
import type { SqlDriver } from "./sql-driver.js";

/**
 * Versioned schema migrations. A migration is never edited once released: changes go into a
 * new version. Each engine has its own DDL (types differ: BLOB/BYTEA, TEXT/JSONB, INTEGER/
 * BIGINT for epoch milliseconds) but the same tables, columns and indexes, because the query
 * code is shared.
 */
export interface Migration {
  version: number;
  name: string;
  sqlite: string;
  postgres: string;
  /** SQLite rebuilds a table (to change a CHECK): run with foreign-key enforcement off, then checked. */
  rebuildsTables?: boolean;
}

// Migrations 1-6 keep the lists they were released with; 7 adds `waiting` to both.
const RUN_STATUS_CHECK = "CHECK (status IN ('queued', 'running', 'success', 'failed', 'cancelled'))";
const TRIGGER_CHECK = "CHECK (trigger_kind IN ('push', 'poll', 'manual', 'retry', 'api'))";
const STAGE_STATUS_CHECK = "CHECK (status IN ('pending', 'running', 'success', 'failed', 'skipped', 'cancelled'))";
const RUN_STATUS_CHECK_7 = "CHECK (status IN ('queued', 'running', 'waiting', 'success', 'failed', 'cancelled'))";
const STAGE_STATUS_CHECK_7 =
  "CHECK (status IN ('pending', 'running', 'waiting', 'success', 'failed', 'skipped', 'cancelled'))";

const DEPLOYMENT_STATUS_CHECK_10 =
  "CHECK (status IN ('running', 'paused', 'awaiting_confirm', 'success', 'failed', 'rolled_back', 'cancelled', 'interrupted'))";
const DEPLOYMENT_COLUMNS_5 = `id, repository, environment, version, previous_version, strategy, trigger_kind, actor,
  run_id, rollback_of, status, outcome, rollback_reason, spec, created_at, updated_at, finished_at`;

const RUN_COLUMNS_6 = `id, repository, number, ref, sha, flow_kind, version, trigger_kind, actor, status, owner,
  dedupe_key, retry_of, error, pipeline_snapshot, created_at, started_at, finished_at, retry_from_stage`;
const STAGE_COLUMNS = "run_id, name, type, position, status, started_at, finished_at, duration_ms, detail";

/**
 * The gate of one deploy stage of one run: whether it needs a manual approval and what was
 * decided (who, when, why), what the run waits for now, and a deploy-window override.
 */
const APPROVALS_TABLE = `CREATE TABLE approvals (
       run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
       stage TEXT NOT NULL,
       repository TEXT NOT NULL,
       environment TEXT NOT NULL,
       state TEXT NOT NULL CHECK (state IN ('not_required', 'pending', 'approved', 'rejected', 'cancelled')),
       waiting_for TEXT CHECK (waiting_for IN ('approval', 'window')),
       reason TEXT,
       requested_at {ts} NOT NULL,
       expires_at {ts},
       window_opens_at {ts},
       decided_by TEXT,
       decided_at {ts},
       comment TEXT,
       window_override_by TEXT,
       window_override_at {ts},
       PRIMARY KEY (run_id, stage)
     );
     CREATE INDEX approvals_waiting ON approvals (waiting_for);`;

/**
 * Migration 7. PostgreSQL swaps the CHECK constraints in place; SQLite cannot alter a CHECK,
 * so it rebuilds runs and stages the way its manual prescribes (new table, copy, drop,
 * rename, indexes again) with foreign keys off, so nothing cascades.
 */
function approvalsMigration(): Migration {
  const sqlite = ddl(
    `CREATE TABLE runs_new (
       id TEXT PRIMARY KEY,
       repository TEXT NOT NULL REFERENCES repositories (name) ON DELETE CASCADE,
       number INTEGER NOT NULL,
       ref TEXT NOT NULL,
       sha TEXT NOT NULL,
       flow_kind TEXT NOT NULL,
       version TEXT,
       trigger_kind TEXT NOT NULL ${TRIGGER_CHECK},
       actor TEXT,
       status TEXT NOT NULL ${RUN_STATUS_CHECK_7},
       owner TEXT,
       dedupe_key TEXT,
       retry_of TEXT REFERENCES runs (id) ON DELETE SET NULL,
       error TEXT,
       pipeline_snapshot TEXT,
       created_at {ts} NOT NULL,
       started_at {ts},
       finished_at {ts},
       retry_from_stage TEXT,
       resume_from_stage TEXT,
       UNIQUE (repository, number),
       UNIQUE (repository, dedupe_key)
     );
     INSERT INTO runs_new (${RUN_COLUMNS_6}) SELECT ${RUN_COLUMNS_6} FROM runs;
     DROP TABLE runs;
     ALTER TABLE runs_new RENAME TO runs;
     CREATE INDEX runs_repository_id ON runs (repository, id);
     CREATE INDEX runs_status_id ON runs (status, id);
     CREATE INDEX runs_ref_id ON runs (ref, id);
     CREATE INDEX runs_flow_kind_id ON runs (flow_kind, id);
     CREATE TABLE stages_new (
       run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
       name TEXT NOT NULL,
       type TEXT NOT NULL,
       position INTEGER NOT NULL,
       status TEXT NOT NULL ${STAGE_STATUS_CHECK_7},
       started_at {ts},
       finished_at {ts},
       duration_ms {ts},
       detail TEXT,
       PRIMARY KEY (run_id, name)
     );
     INSERT INTO stages_new (${STAGE_COLUMNS}) SELECT ${STAGE_COLUMNS} FROM stages;
     DROP TABLE stages;
     ALTER TABLE stages_new RENAME TO stages;
     ${APPROVALS_TABLE}`,
    "sqlite",
  );
  const postgres = ddl(
    `ALTER TABLE runs DROP CONSTRAINT runs_status_check;
     ALTER TABLE runs ADD CONSTRAINT runs_status_check ${RUN_STATUS_CHECK_7};
     ALTER TABLE runs ADD COLUMN resume_from_stage TEXT;
     ALTER TABLE stages DROP CONSTRAINT stages_status_check;
     ALTER TABLE stages ADD CONSTRAINT stages_status_check ${STAGE_STATUS_CHECK_7};
     ${APPROVALS_TABLE}`,
    "postgres",
  );
  return { version: 7, name: "waiting runs, approvals and deploy windows", sqlite, postgres, rebuildsTables: true };
}

/**
 * Migration 10: a deployment may end `awaiting_confirm` (the two-phase finish: its replaced
 * containers kept stopped until `slipway confirm`). SQLite rebuilds `deployments` as
 * migration 7 rebuilt `runs`; the batches' foreign key names the table, so it follows.
 */
function awaitingConfirmMigration(): Migration {
  const sqlite = ddl(
    `CREATE TABLE deployments_new (
       id TEXT PRIMARY KEY,
       repository TEXT NOT NULL,
       environment TEXT NOT NULL,
       version TEXT NOT NULL,
       previous_version TEXT,
       strategy TEXT NOT NULL,
       trigger_kind TEXT NOT NULL CHECK (trigger_kind IN ('stage', 'cli', 'api', 'rollback', 'recovery')),
       actor TEXT,
       run_id TEXT,
       rollback_of TEXT,
       status TEXT NOT NULL ${DEPLOYMENT_STATUS_CHECK_10},
       outcome TEXT,
       rollback_reason TEXT,
       spec {json},
       created_at {ts} NOT NULL,
       updated_at {ts} NOT NULL,
       finished_at {ts}
     );
     INSERT INTO deployments_new (${DEPLOYMENT_COLUMNS_5}) SELECT ${DEPLOYMENT_COLUMNS_5} FROM deployments;
     DROP TABLE deployments;
     ALTER TABLE deployments_new RENAME TO deployments;
     CREATE INDEX deployments_environment_id ON deployments (repository, environment, id);
     CREATE INDEX deployments_status ON deployments (status);`,
    "sqlite",
  );
  const postgres = ddl(
    `ALTER TABLE deployments DROP CONSTRAINT deployments_status_check;
     ALTER TABLE deployments ADD CONSTRAINT deployments_status_check ${DEPLOYMENT_STATUS_CHECK_10};`,
    "postgres",
  );
  return { version: 10, name: "deployments awaiting confirmation", sqlite, postgres, rebuildsTables: true };
}

/** Shared DDL with the engine's types substituted: {ts} epoch ms, {json}, {bytes}, {serial}. */
function ddl(sql: string, engine: "sqlite" | "postgres"): string {
  const types =
    engine === "sqlite"
      ? { ts: "INTEGER", json: "TEXT", bytes: "BLOB", serial: "INTEGER PRIMARY KEY AUTOINCREMENT" }
      : { ts: "BIGINT", json: "JSONB", bytes: "BYTEA", serial: "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY" };
  return sql.replace(/\{(ts|json|bytes|serial)\}/g, (_, key: keyof typeof types) => types[key]);
}

function both(version: number, name: string, sql: string): Migration {
  return { version, name, sqlite: ddl(sql, "sqlite"), postgres: ddl(sql, "postgres") };
}

export const MIGRATIONS: readonly Migration[] = [
  both(
    1,
    "repositories, runs, stages",
    `CREATE TABLE repositories (
       name TEXT PRIMARY KEY,
       url TEXT NOT NULL,
       config {json} NOT NULL,
       last_run_number INTEGER NOT NULL DEFAULT 0,
       created_at {ts} NOT NULL,
       updated_at {ts} NOT NULL
     );
     CREATE TABLE runs (
       id TEXT PRIMARY KEY,
       repository TEXT NOT NULL REFERENCES repositories (name) ON DELETE CASCADE,
       number INTEGER NOT NULL,
       ref TEXT NOT NULL,
       sha TEXT NOT NULL,
       flow_kind TEXT NOT NULL,
       version TEXT,
       trigger_kind TEXT NOT NULL ${TRIGGER_CHECK},
       actor TEXT,
       status TEXT NOT NULL ${RUN_STATUS_CHECK},
       owner TEXT,
       dedupe_key TEXT,
       retry_of TEXT REFERENCES runs (id) ON DELETE SET NULL,
       error TEXT,
       pipeline_snapshot TEXT,
       created_at {ts} NOT NULL,
       started_at {ts},
       finished_at {ts},
       UNIQUE (repository, number),
       UNIQUE (repository, dedupe_key)
     );
     CREATE INDEX runs_repository_id ON runs (repository, id);
     CREATE INDEX runs_status_id ON runs (status, id);
     CREATE INDEX runs_ref_id ON runs (ref, id);
     CREATE INDEX runs_flow_kind_id ON runs (flow_kind, id);
     CREATE TABLE stages (
       run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
       name TEXT NOT NULL,
       type TEXT NOT NULL,
       position INTEGER NOT NULL,
       status TEXT NOT NULL ${STAGE_STATUS_CHECK},
       started_at {ts},
       finished_at {ts},
       duration_ms {ts},
       detail TEXT,
       PRIMARY KEY (run_id, name)
     );`,
  ),
  both(
    2,
    "chunked logs, artifacts",
    `CREATE TABLE log_streams (
       run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
       stage TEXT NOT NULL,
       size {ts} NOT NULL,
       chunks INTEGER NOT NULL,
       PRIMARY KEY (run_id, stage)
     );
     CREATE TABLE log_chunks (
       run_id TEXT NOT NULL,
       stage TEXT NOT NULL,
       byte_offset {ts} NOT NULL,
       byte_length INTEGER NOT NULL,
       data {bytes} NOT NULL,
       PRIMARY KEY (run_id, stage, byte_offset),
       FOREIGN KEY (run_id, stage) REFERENCES log_streams (run_id, stage) ON DELETE CASCADE
     );
     CREATE TABLE artifacts (
       id {serial},
       run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
       stage TEXT NOT NULL,
       path TEXT NOT NULL,
       size {ts} NOT NULL,
       sha256 TEXT NOT NULL,
       created_at {ts} NOT NULL,
       UNIQUE (run_id, stage, path)
     );`,
  ),
  both(
    3,
    "audit events, API tokens",
    `CREATE TABLE audit_events (
       id {serial},
       created_at {ts} NOT NULL,
       actor TEXT NOT NULL,
       action TEXT NOT NULL,
       target TEXT NOT NULL,
       detail {json}
     );
     CREATE TABLE api_tokens (
       id TEXT PRIMARY KEY,
       name TEXT NOT NULL,
       token_sha256 TEXT NOT NULL UNIQUE,
       created_at {ts} NOT NULL,
       revoked_at {ts}
     );`,
  ),
  both(
    4,
    "retry from a stage",
    // A retry from a stage must survive a restart of the runner while it is queued.
    "ALTER TABLE runs ADD COLUMN retry_from_stage TEXT",
  ),
  both(
    5,
    "deployments and their batches",
    // Environments belong to a repository's slipway.yml, so they are keyed by (repository, environment).
    `CREATE TABLE deployments (
       id TEXT PRIMARY KEY,
       repository TEXT NOT NULL,
       environment TEXT NOT NULL,
       version TEXT NOT NULL,
       previous_version TEXT,
       strategy TEXT NOT NULL,
       trigger_kind TEXT NOT NULL CHECK (trigger_kind IN ('stage', 'cli', 'api', 'rollback', 'recovery')),
       actor TEXT,
       run_id TEXT,
       rollback_of TEXT,
       status TEXT NOT NULL CHECK (status IN ('running', 'paused', 'success', 'failed', 'rolled_back', 'cancelled', 'interrupted')),
       outcome TEXT,
       rollback_reason TEXT,
       spec {json},
       created_at {ts} NOT NULL,
       updated_at {ts} NOT NULL,
       finished_at {ts}
     );
     CREATE INDEX deployments_environment_id ON deployments (repository, environment, id);
     CREATE INDEX deployments_status ON deployments (status);
     CREATE TABLE deployment_batches (
       deployment_id TEXT NOT NULL REFERENCES deployments (id) ON DELETE CASCADE,
       seq INTEGER NOT NULL,
       phase TEXT NOT NULL CHECK (phase IN ('update', 'rollback')),
       service TEXT NOT NULL,
       batch INTEGER NOT NULL,
       batches INTEGER NOT NULL,
       added {json} NOT NULL,
       removed {json} NOT NULL,
       status TEXT NOT NULL CHECK (status IN ('success', 'failed')),
       health {json} NOT NULL,
       started_at {ts} NOT NULL,
       finished_at {ts} NOT NULL,
       PRIMARY KEY (deployment_id, seq)
     );`,
  ),
  both(
    6,
    "environment locks",
    // One row per environment being deployed: the primary key makes acquisition atomic.
    `CREATE TABLE environment_locks (
       repository TEXT NOT NULL,
       environment TEXT NOT NULL,
       holder TEXT NOT NULL,
       deployment_id TEXT,
       acquired_at {ts} NOT NULL,
       expires_at {ts} NOT NULL,
       PRIMARY KEY (repository, environment)
     );`,
  ),
  approvalsMigration(),
  both(
    8,
    "outbound webhook deliveries",
    // The body is TEXT on both engines, never JSONB: it is signed, so its exact bytes must
    // come back. The URL and the signing secret are not stored; they come from the config.
    `CREATE TABLE notification_deliveries (
       id TEXT PRIMARY KEY,
       event_id TEXT NOT NULL,
       webhook TEXT NOT NULL,
       event TEXT NOT NULL,
       repository TEXT,
       run_id TEXT,
       deployment_id TEXT,
       owner TEXT NOT NULL,
       format TEXT NOT NULL,
       body TEXT NOT NULL,
       status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
       attempts INTEGER NOT NULL,
       max_attempts INTEGER NOT NULL,
       next_attempt_at {ts},
       last_status_code INTEGER,
       last_error TEXT,
       redelivery_of TEXT,
       created_at {ts} NOT NULL,
       updated_at {ts} NOT NULL,
       finished_at {ts}
     );
     CREATE INDEX notification_deliveries_due ON notification_deliveries (owner, status, next_attempt_at);
     CREATE INDEX notification_deliveries_webhook ON notification_deliveries (webhook, id);
     CREATE TABLE notification_attempts (
       delivery_id TEXT NOT NULL REFERENCES notification_deliveries (id) ON DELETE CASCADE,
       seq INTEGER NOT NULL,
       started_at {ts} NOT NULL,
       duration_ms {ts} NOT NULL,
       status_code INTEGER,
       error TEXT,
       PRIMARY KEY (delivery_id, seq)
     );`,
  ),
  both(
    9,
    "deploy queue",
    // The deploy stages of each environment waiting for their turn or deploying, across
    // runners: seq is the queue order, expires_at the lease their runner renews.
    `CREATE TABLE deploy_queue (
       seq {serial},
       repository TEXT NOT NULL,
       environment TEXT NOT NULL,
       run_id TEXT NOT NULL,
       stage TEXT NOT NULL,
       run_number INTEGER NOT NULL,
       runner TEXT NOT NULL,
       since {ts} NOT NULL,
       expires_at {ts} NOT NULL,
       UNIQUE (run_id, stage)
     );
     CREATE INDEX deploy_queue_environment ON deploy_queue (repository, environment, seq);
     CREATE INDEX deploy_queue_runner ON deploy_queue (runner);`,
  ),
  awaitingConfirmMigration(),
];

export const LATEST_VERSION = Math.max(...MIGRATIONS.map((m) => m.version));

const CREATE_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at {ts} NOT NULL)`;

/** Highest applied version; 0 when the database has never been migrated. */
export async function schemaVersion(db: SqlDriver): Promise<number> {
  try {
    const row = await db.get("SELECT MAX(version) AS version FROM schema_migrations");
    return row?.version === null || row?.version === undefined ? 0 : Number(row.version);
  } catch (err) {
    // SQLite: "no such table"; PostgreSQL: 42P01 "relation ... does not exist".
    if (/no such table|does not exist/.test((err as Error).message)) return 0;
    throw err;
  }
}

/**
 * Applies the missing migrations in order, each with its bookkeeping row in one transaction,
 * so a failure leaves the previous version intact. Refuses a database that a newer Slipway has
 * migrated, rather than running against a schema it does not know.
 */
export async function runMigrations(db: SqlDriver): Promise<{ applied: number[] }> {
  return db.withMigrationLock(async () => {
    await db.exec(ddl(CREATE_MIGRATIONS_TABLE, db.engine));
    const current = await schemaVersion(db);
    if (current > LATEST_VERSION) {
      throw new StoreError(
        "SLIPWAY_E_STORE_SCHEMA_TOO_NEW",
        `${db.location} has schema version ${current}; this Slipway knows up to ${LATEST_VERSION}: upgrade Slipway`,
      );
    }
    // Each missing version, not only those above the highest: migrations developed side by
    // side may land with a lower number after a higher one was applied.
    const present = new Set((await db.all("SELECT version FROM schema_migrations")).map((r) => Number(r.version)));
    const applied: number[] = [];
    for (const m of MIGRATIONS) {
      if (present.has(m.version)) continue;
      try {
        const apply = () =>
          db.transaction(async (q) => {
            // Another SQLite process may have applied it since we read the version.
            if (await q.get("SELECT 1 FROM schema_migrations WHERE version = ?", [m.version])) return false;
            await q.exec(m[db.engine]);
            // A rebuild must leave every reference intact (checked before the commit).
            if (m.rebuildsTables && db.engine === "sqlite") {
              const broken = await q.all("PRAGMA foreign_key_check");
              if (broken.length > 0) throw new Error(`foreign keys broken: ${JSON.stringify(broken.slice(0, 3))}`);
            }
            await q.run("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)", [
              m.version,
              m.name,
              Date.now(),
            ]);
            return true;
          });
        const done = m.rebuildsTables ? await db.withoutForeignKeys(apply) : await apply();
        if (done) applied.push(m.version);
      } catch (err) {
        throw new StoreError(
          "SLIPWAY_E_STORE_MIGRATION_FAILED",
          `migration ${m.version} (${m.name}) failed on ${db.location}: ${(err as Error).message}`,
          { cause: err },
        );
      }
    }
    return { applied };
  });
}
