import { StringDecoder } from "node:string_decoder";
import { splitLines } from "./lines.js";

/**
 * Splits Docker's multiplexed stdout/stderr stream (8-byte frame headers: stream type, three
 * zero bytes, big-endian payload size) into whole UTF-8 lines per stream. Frames and
 * characters may be cut anywhere between network chunks; both are reassembled here.
 */
export class LineDemuxer {
  private pending: Buffer = Buffer.alloc(0);
  private readonly decoders = { stdout: new StringDecoder("utf8"), stderr: new StringDecoder("utf8") };
  private readonly lines: Record<"stdout" | "stderr", ReturnType<typeof splitLines>>;

  constructor(onLine: (line: string, stream: "stdout" | "stderr") => void) {
    this.lines = {
      stdout: splitLines((line) => onLine(line, "stdout")),
      stderr: splitLines((line) => onLine(line, "stderr")),
    };
  }

  push(chunk: Buffer): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    let at = 0;
    while (this.pending.length - at >= 8) {
      const size = this.pending.readUInt32BE(at + 4);
      if (this.pending.length - at < 8 + size) break;
      const stream = this.pending[at] === 2 ? "stderr" : "stdout";
      const payload = this.pending.subarray(at + 8, at + 8 + size);
      this.lines[stream].push(this.decoders[stream].write(payload));
      at += 8 + size;
    }
    this.pending = this.pending.subarray(at);
  }

  end(): void {
    for (const stream of ["stdout", "stderr"] as const) {
      this.lines[stream].push(this.decoders[stream].end());
      this.lines[stream].end();
    }
  }
}

/** Reads a multiplexed output stream to its end, line by line. */
export function pumpLines(raw: NodeJS.ReadableStream, onLine: (line: string, stream: "stdout" | "stderr") => void) {
  const demux = new LineDemuxer(onLine);
  return new Promise<void>((resolve, reject) => {
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      demux.end();
      resolve();
    };
    raw.on("data", (chunk: Buffer) => demux.push(chunk));
    raw.on("end", finish);
    raw.on("close", finish);
    raw.on("error", reject);
  });
}
