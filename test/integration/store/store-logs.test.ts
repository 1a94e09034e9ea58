import { createHash } from "node:crypto";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Store } from "../../../store/index.js";
import { codeOf, createTestDatabase, ENGINES, readAll, type TestDatabase } from "./store-harness.js";

// A real collector lets the memory test measure what is live rather than what the GC has not
// got round to freeing yet; vitest does not start workers with --expose-gc.
setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

const MiB = 1024 * 1024;

/** Exactly 1 MiB of 1 KiB lines, different for every index. */
function megabyte(index: number): string {
  const line = `${String(index).padStart(8, "0")} ${"x".repeat(1024 - 10)}\n`;
  return line.repeat(1024);
}

function liveBytes(): number {
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

describe.each(ENGINES)("store logs on %s", (engine) => {
  let db: TestDatabase;
  let store: Store;
  let runId: string;

  beforeEach(async () => {
    db = await createTestDatabase(engine);
    store = await db.open();
    await store.upsertRepository({ name: "acme/api", url: "https://git.example/acme/api.git" });
    runId = (
      await store.createRun({ repository: "acme/api", ref: "develop", sha: "a", flowKind: "develop", trigger: "push" })
    ).run.id;
  });
  afterEach(() => db.dispose());

  it("appends 3,000 chunks and reads them back from the start and from middle offsets", async () => {
    const lines = Array.from({ length: 3000 }, (_, i) => `line ${i} ✓ é ${"-".repeat(i % 17)}\n`);
    const offsets: number[] = [];
    let expectedOffset = 0;
    for (const line of lines) {
      const { offset, size } = await store.appendLog(runId, "build", line);
      expect(offset).toBe(expectedOffset);
      expectedOffset += Buffer.byteLength(line);
      expect(size).toBe(expectedOffset);
      offsets.push(offset);
    }
    const full = lines.join("");
    const bytes = Buffer.from(full);
    expect(await store.logSize(runId, "build")).toBe(bytes.length);
    expect(await readAll(store.readLog(runId, "build"))).toBe(full);

    const atChunk = offsets[1500]!;
    expect(await readAll(store.readLog(runId, "build", atChunk))).toBe(lines.slice(1500).join(""));
    // Inside a chunk: "line 1500 " is 10 bytes, so +3 is mid-word ...
    expect(await readAll(store.readLog(runId, "build", atChunk + 3))).toBe(bytes.subarray(atChunk + 3).toString());
    // ... and +11 is inside the 3-byte "✓", so reading starts at the next character.
    expect(await readAll(store.readLog(runId, "build", atChunk + 11))).toBe(bytes.subarray(atChunk + 13).toString());
    expect(await readAll(store.readLog(runId, "build", bytes.length))).toBe("");
    expect(await readAll(store.readLog(runId, "build", bytes.length + 100))).toBe("");
  });

  it("keeps stage logs apart and reports empty logs", async () => {
    await store.appendLog(runId, "build", "compiling\n");
    await store.appendLog(runId, "integration", "stack up\n");
    expect(await store.appendLog(runId, "build", "")).toEqual({ offset: 10, size: 10 });
    expect(await readAll(store.readLog(runId, "integration"))).toBe("stack up\n");
    expect(await store.logSize(runId, "push")).toBe(0);
    expect(await readAll(store.readLog(runId, "push"))).toBe("");
    expect(await codeOf(store.appendLog("01ARZ3NDEKTSV4RRFFQ69G5FAV", "build", "x"))).toBe(
      "SLIPWAY_E_STORE_RUN_NOT_FOUND",
    );
    expect(await codeOf(readAll(store.readLog(runId, "build", -1)))).toBe("SLIPWAY_E_STORE_BAD_ARGUMENT");
  });

  it("gives concurrent appends disjoint byte ranges, also from two store instances", async () => {
    const other = await db.open();
    const pieces = Array.from({ length: 40 }, (_, i) => `${i}:${"é".repeat(i)}\n`);
    const results = await Promise.all(pieces.map((p, i) => (i % 2 ? store : other).appendLog(runId, "build", p)));
    const ordered = results.map((r, i) => ({ offset: r.offset, text: pieces[i]! })).sort((a, b) => a.offset - b.offset);
    let position = 0;
    for (const { offset, text } of ordered) {
      expect(offset).toBe(position);
      position += Buffer.byteLength(text);
    }
    expect(await readAll(store.readLog(runId, "build"))).toBe(ordered.map((o) => o.text).join(""));
  });

  it("streams a 100 MiB log without holding it in memory", async () => {
    const written = createHash("sha256");
    for (let i = 0; i < 100; i++) {
      const piece = megabyte(i);
      written.update(piece);
      await store.appendLog(runId, "integration", piece);
    }
    expect(await store.logSize(runId, "integration")).toBe(100 * MiB);

    const read = createHash("sha256");
    let bytes = 0;
    let chunks = 0;
    const baseline = liveBytes();
    let peak = 0;
    for await (const chunk of store.readLog(runId, "integration")) {
      read.update(chunk);
      bytes += Buffer.byteLength(chunk);
      if (++chunks % 8 === 0) peak = Math.max(peak, liveBytes() - baseline);
    }
    expect(bytes).toBe(100 * MiB);
    expect(read.digest("hex")).toBe(written.digest("hex"));
    // A page holds at most ~1.25 MiB of chunks; 24 MiB leaves room for driver buffers and noise
    // while staying far below the 100 MiB a whole-log read would need.
    expect(peak).toBeLessThan(24 * MiB);
  });
});
