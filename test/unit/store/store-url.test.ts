import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openStore, parseStoreUrl } from "../../../store/index.js";

async function codeOf(promise: Promise<unknown>): Promise<{ code?: string; message: string }> {
  try {
    await promise;
  } catch (err) {
    return { code: (err as { code?: string }).code, message: (err as Error).message };
  }
  return { message: "resolved" };
}

describe("parseStoreUrl", () => {
  it.each([
    [undefined, { engine: "sqlite", file: "/data/slipway.db" }],
    ["", { engine: "sqlite", file: "/data/slipway.db" }],
    ["sqlite:", { engine: "sqlite", file: "/data/slipway.db" }],
    ["sqlite:/var/lib/slipway/state.db", { engine: "sqlite", file: "/var/lib/slipway/state.db" }],
    ["sqlite:///var/lib/slipway/state.db", { engine: "sqlite", file: "/var/lib/slipway/state.db" }],
    ["sqlite:state/ci.db", { engine: "sqlite", file: "/data/state/ci.db" }],
    ["postgres://u:p@db:5432/slipway", { engine: "postgres", url: "postgres://u:p@db:5432/slipway" }],
    ["postgresql://db/slipway", { engine: "postgres", url: "postgresql://db/slipway" }],
  ])("%s", (url, target) => {
    expect(parseStoreUrl(url, "/data")).toEqual(target);
  });

  it.each(["mysql://db/slipway", "sqlite://host/file.db", "/var/lib/slipway.db"])("rejects %s", (url) => {
    expect(() => parseStoreUrl(url, "/data")).toThrow(expect.objectContaining({ code: "SLIPWAY_E_STORE_URL" }));
  });
});

describe("openStore", () => {
  let dataDir: string;
  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "slipway-store-unit-"));
  });
  afterEach(() => rm(dataDir, { recursive: true, force: true }));

  it("creates a migrated SQLite file in WAL mode under the data dir by default", async () => {
    await using store = await openStore(undefined, { dataDir: join(dataDir, "nested") });
    expect(store.engine).toBe("sqlite");
    expect(store.location).toBe(join(dataDir, "nested", "slipway.db"));
    expect(await store.schemaVersion()).toBeGreaterThan(0);
    const raw = new Database(store.location, { readonly: true });
    expect(raw.pragma("journal_mode", { simple: true })).toBe("wal");
    raw.close();
    expect(existsSync(store.location)).toBe(true);
  });

  it("reports an unreachable PostgreSQL with its code and without the password", async () => {
    const { code, message } = await codeOf(openStore("postgres://slipway:s3cret@127.0.0.1:1/x", { dataDir }));
    expect(code).toBe("SLIPWAY_E_STORE_UNREACHABLE");
    expect(message).toContain("postgres://slipway:***@127.0.0.1:1/x");
    expect(message).not.toContain("s3cret");
  });

  it("reports an SQLite file that cannot be created", async () => {
    await writeFile(join(dataDir, "not-a-dir"), "");
    const { code } = await codeOf(openStore(`sqlite:${join(dataDir, "not-a-dir", "x.db")}`, { dataDir }));
    expect(code).toBe("SLIPWAY_E_STORE_UNREACHABLE");
  });

  it("rejects an unknown scheme before touching anything", async () => {
    expect((await codeOf(openStore("redis://localhost", { dataDir }))).code).toBe("SLIPWAY_E_STORE_URL");
  });
});
