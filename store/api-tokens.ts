import { badArgument } from "./errors.js";
import { hashApiToken, newApiToken, newUlid } from "./ids.js";
import { toApiToken } from "./rows.js";
import type { SqlDriver } from "./sql-driver.js";
import type { ApiTokenRow, NewApiToken } from "./types.js";

/**
 * API tokens: `slw_` + 256 random bits. The `api_tokens` table holds only the SHA-256 of a
 * token (`token_sha256`, unique), so a copy of the database grants no access; the clear token
 * exists once, in the value `createToken` returns. Verification hashes the presented token and
 * looks the digest up by index; revocation stamps `revoked_at` and keeps the row for the audit
 * trail.
 */
export async function createToken(db: SqlDriver, name: string): Promise<NewApiToken> {
  if (!name) throw badArgument("an API token needs a name");
  const id = newUlid();
  const token = newApiToken();
  await db.run("INSERT INTO api_tokens (id, name, token_sha256, created_at) VALUES (?, ?, ?, ?)", [
    id,
    name,
    hashApiToken(token),
    Date.now(),
  ]);
  return { id, name, token };
}

export async function verifyToken(db: SqlDriver, token: string): Promise<{ id: string; name: string } | undefined> {
  if (!token) return undefined;
  const row = await db.get("SELECT id, name FROM api_tokens WHERE token_sha256 = ? AND revoked_at IS NULL", [
    hashApiToken(token),
  ]);
  return row && { id: String(row.id), name: String(row.name) };
}

export async function revokeToken(db: SqlDriver, id: string): Promise<boolean> {
  const changed = await db.run("UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", [
    Date.now(),
    id,
  ]);
  return changed > 0;
}

/** Tokens by creation (ULID order), revoked ones included; never the digest. */
export async function listTokens(db: SqlDriver): Promise<ApiTokenRow[]> {
  const rows = await db.all("SELECT id, name, created_at, revoked_at FROM api_tokens ORDER BY id");
  return rows.map(toApiToken);
}
