import { badArgument } from "./errors.js";
import { ULID_PATTERN } from "./ids.js";
import type { RawRow } from "./rows.js";
import { toRun } from "./rows.js";
import type { SqlParams } from "./sql-driver.js";
import { RUN_STATUSES, type RunFilter, type RunPage, type RunPatch, type RunStatus } from "./types.js";

/** Listing limits: large enough for a dashboard page, small enough that a page is cheap. */
export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 500;

export function checkLimit(limit: number | undefined, fallback = DEFAULT_LIMIT): number {
  const value = limit ?? fallback;
  if (!Number.isInteger(value) || value < 1 || value > MAX_LIMIT) {
    throw badArgument(`limit must be an integer from 1 to ${MAX_LIMIT}, got ${limit}`);
  }
  return value;
}

export function checkStatus(status: string): RunStatus {
  if (!RUN_STATUSES.includes(status as RunStatus)) {
    throw badArgument(`unknown run status "${status}" (expected ${RUN_STATUSES.join(", ")})`);
  }
  return status as RunStatus;
}

/**
 * `listRuns` as one keyset query: newest first by id (ULIDs sort by creation time), the cursor
 * is the last id of the previous page, and one extra row tells whether another page exists.
 * Each filter has an index that starts with its column and ends with id (see migrations), so a
 * page costs an index range scan whatever the table size.
 */
export function listRunsQuery(filter: RunFilter, columns = "*"): { sql: string; params: SqlParams; limit: number } {
  const limit = checkLimit(filter.limit);
  const where: string[] = [];
  const params: (string | number)[] = [];
  const add = (clause: string, value: string | number) => {
    where.push(clause);
    params.push(value);
  };
  if (filter.repository !== undefined) add("repository = ?", filter.repository);
  if (filter.status !== undefined) add("status = ?", checkStatus(filter.status));
  if (filter.ref !== undefined) add("ref = ?", filter.ref);
  if (filter.flowKind !== undefined) add("flow_kind = ?", filter.flowKind);
  if (filter.version !== undefined) add("version = ?", filter.version);
  if (filter.cursor !== undefined) {
    if (!ULID_PATTERN.test(filter.cursor)) throw badArgument(`malformed cursor "${filter.cursor}"`);
    add("id < ?", filter.cursor);
  }
  const clause = where.length > 0 ? `WHERE ${where.join(" AND ")}` : "";
  return { sql: `SELECT ${columns} FROM runs ${clause} ORDER BY id DESC LIMIT ${limit + 1}`, params, limit };
}

export function toRunPage(rows: RawRow[], limit: number): RunPage {
  const runs = rows.slice(0, limit).map(toRun);
  const last = runs[runs.length - 1];
  return rows.length > limit && last ? { runs, nextCursor: last.id } : { runs };
}

const PATCH_COLUMNS: Record<keyof RunPatch, string> = {
  status: "status",
  version: "version",
  owner: "owner",
  startedAt: "started_at",
  finishedAt: "finished_at",
  error: "error",
  pipelineSnapshot: "pipeline_snapshot",
  resumeFromStage: "resume_from_stage",
};

/** UPDATE ... RETURNING for the fields present in the patch (a SELECT when none are). */
export function updateRunQuery(
  id: string,
  patch: RunPatch,
  ifStatus?: RunStatus[],
): { sql: string; params: SqlParams } {
  const sets: string[] = [];
  const params: (string | number | null)[] = [];
  for (const [key, column] of Object.entries(PATCH_COLUMNS) as [keyof RunPatch, string][]) {
    const value = patch[key];
    if (value === undefined) continue;
    if (key === "status") checkStatus(value as string);
    sets.push(`${column} = ?`);
    params.push(value);
  }
  let where = "id = ?";
  params.push(id);
  if (ifStatus !== undefined) {
    if (ifStatus.length === 0) throw badArgument("ifStatus must name at least one status");
    where += ` AND status IN (${ifStatus.map(() => "?").join(", ")})`;
    params.push(...ifStatus.map(checkStatus));
  }
  const sql =
    sets.length === 0
      ? `SELECT * FROM runs WHERE ${where}`
      : `UPDATE runs SET ${sets.join(", ")} WHERE ${where} RETURNING *`;
  return { sql, params };
}
