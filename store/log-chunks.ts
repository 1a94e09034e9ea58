import { badArgument, runNotFound } from "./errors.js";
import type { SqlDriver } from "./sql-driver.js";
import type { LogAppend } from "./types.js";

/**
 * Logs are rows of `log_chunks` (run, stage, byte_offset, byte_length, data) plus one
 * `log_streams` row per stage log holding its size. An append reserves its byte range by
 * bumping the size (an upsert that row-locks the stream on both engines, so concurrent appends
 * get disjoint ranges) and stores the text as pieces of at most CHUNK_MAX_BYTES. Reading walks
 * the chunks in offset order a bounded page at a time.
 */
export const CHUNK_MAX_BYTES = 256 * 1024;
/** A page stops after this many chunks ... */
export const PAGE_CHUNKS = 256;
/** ... or once it covers this many bytes, so a page holds at most PAGE_BYTES + CHUNK_MAX_BYTES. */
export const PAGE_BYTES = 1024 * 1024;

/** Cuts UTF-8 bytes into pieces of at most `max` bytes, never inside a character. */
export function splitUtf8(bytes: Buffer, max = CHUNK_MAX_BYTES): Buffer[] {
  const pieces: Buffer[] = [];
  let start = 0;
  while (start < bytes.length) {
    let end = Math.min(start + max, bytes.length);
    while (end < bytes.length && end > start + 1 && isContinuation(bytes[end])) end--;
    pieces.push(bytes.subarray(start, end));
    start = end;
  }
  return pieces;
}

function isContinuation(byte: number | undefined): boolean {
  return byte !== undefined && (byte & 0xc0) === 0x80;
}

export async function appendLogChunks(db: SqlDriver, runId: string, stage: string, text: string): Promise<LogAppend> {
  if (stage === "") throw badArgument("a log needs a stage name");
  const bytes = Buffer.from(text, "utf8");
  if (bytes.length === 0) {
    const size = await logStreamSize(db, runId, stage);
    return { offset: size, size };
  }
  const pieces = splitUtf8(bytes);
  try {
    return await db.transaction(async (q) => {
      const row = await q.get(
        `INSERT INTO log_streams (run_id, stage, size, chunks) VALUES (?, ?, ?, ?)
         ON CONFLICT (run_id, stage) DO UPDATE
           SET size = log_streams.size + excluded.size, chunks = log_streams.chunks + excluded.chunks
         RETURNING size`,
        [runId, stage, bytes.length, pieces.length],
      );
      const size = Number(row?.size);
      let offset = size - bytes.length;
      const first = offset;
      for (const piece of pieces) {
        await q.run("INSERT INTO log_chunks (run_id, stage, byte_offset, byte_length, data) VALUES (?, ?, ?, ?, ?)", [
          runId,
          stage,
          offset,
          piece.length,
          piece,
        ]);
        offset += piece.length;
      }
      return { offset: first, size };
    });
  } catch (err) {
    throw runNotFound(err, runId);
  }
}

export async function logStreamSize(db: SqlDriver, runId: string, stage: string): Promise<number> {
  const row = await db.get("SELECT size FROM log_streams WHERE run_id = ? AND stage = ?", [runId, stage]);
  return row ? Number(row.size) : 0;
}

/**
 * Streams a stage log from `fromOffset`. Only the current page is held: each query asks for
 * the chunks starting in [position, position + PAGE_BYTES), capped at PAGE_CHUNKS rows; the
 * first chunk (the one containing `fromOffset`) is located by an indexed `<=` lookup.
 */
export async function* readLogChunks(
  db: SqlDriver,
  runId: string,
  stage: string,
  fromOffset = 0,
): AsyncGenerator<string> {
  if (!Number.isInteger(fromOffset) || fromOffset < 0) {
    throw badArgument(`log offset must be a non-negative integer, got ${fromOffset}`);
  }
  const start = await db.get(
    `SELECT byte_offset FROM log_chunks WHERE run_id = ? AND stage = ? AND byte_offset <= ?
     ORDER BY byte_offset DESC LIMIT 1`,
    [runId, stage, fromOffset],
  );
  if (!start) return;
  let position = Number(start.byte_offset);
  for (;;) {
    const rows = await db.all(
      `SELECT byte_offset, byte_length, data FROM log_chunks
       WHERE run_id = ? AND stage = ? AND byte_offset >= ? AND byte_offset < ?
       ORDER BY byte_offset LIMIT ${PAGE_CHUNKS}`,
      [runId, stage, position, position + PAGE_BYTES],
    );
    if (rows.length === 0) return;
    for (const row of rows) {
      const offset = Number(row.byte_offset);
      let data = row.data as Buffer;
      if (offset < fromOffset) {
        let skip = fromOffset - offset;
        while (skip < data.length && isContinuation(data[skip])) skip++;
        data = data.subarray(skip);
      }
      position = offset + Number(row.byte_length);
      if (data.length > 0) yield data.toString("utf8");
    }
  }
}
