import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openStore, type Store } from "../../../store/index.js";

/**
 * How logs land in `log_chunks`, observed in the SQLite file itself: the shared suite in
 * test/integration/store checks content and memory on both engines, this checks the layout.
 */
describe("log chunk layout", () => {
  let dataDir: string;
  let store: Store;
  let runId: string;

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "slipway-store-unit-"));
    store = await openStore(undefined, { dataDir });
    await store.upsertRepository({ name: "r", url: "u" });
    runId = (await store.createRun({ repository: "r", ref: "main", sha: "s", flowKind: "main", trigger: "poll" })).run
      .id;
  });
  afterEach(async () => {
    await store.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  function chunkRows(): { byte_offset: number; byte_length: number; data: Buffer }[] {
    const raw = new Database(store.location, { readonly: true });
    try {
      return raw
        .prepare("SELECT byte_offset, byte_length, data FROM log_chunks WHERE run_id = ? ORDER BY byte_offset")
        .all(runId) as never;
    } finally {
      raw.close();
    }
  }

  it("stores a small append as one chunk row with its byte offset and length", async () => {
    await store.appendLog(runId, "build", "ok\n");
    await store.appendLog(runId, "build", "naïve\n");
    expect(chunkRows().map((r) => [r.byte_offset, r.byte_length])).toEqual([
      [0, 3],
      [3, 7],
    ]);
  });

  it("cuts a large append into pieces of at most 256 KiB at character boundaries", async () => {
    const text = "€".repeat(300_000); // 900,000 bytes of 3-byte characters
    expect(await store.appendLog(runId, "build", text)).toEqual({ offset: 0, size: 900_000 });
    const rows = chunkRows();
    expect(rows.length).toBe(4);
    let position = 0;
    for (const row of rows) {
      expect(row.byte_offset).toBe(position);
      expect(row.byte_length).toBe(row.data.length);
      expect(row.byte_length).toBeLessThanOrEqual(256 * 1024);
      expect(row.byte_length % 3).toBe(0);
      expect(row.data.toString("utf8")).not.toContain("\uFFFD");
      position += row.byte_length;
    }
    let read = "";
    for await (const chunk of store.readLog(runId, "build")) read += chunk;
    expect(read).toBe(text);
  });

  it("gives runs ids that sort by creation", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      ids.push(
        (await store.createRun({ repository: "r", ref: "main", sha: `${i}`, flowKind: "main", trigger: "poll" })).run
          .id,
      );
    }
    expect([...ids].sort()).toEqual(ids);
  });
});
