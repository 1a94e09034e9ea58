import { describe, expect, it } from "vitest";
import { LineDemuxer } from "../../../engine/demux.js";

function frame(stream: 1 | 2, payload: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

describe("LineDemuxer", () => {
  it("reassembles frames, lines and UTF-8 characters cut at every possible byte", () => {
    const wire = Buffer.concat([
      frame(1, Buffer.from("héllo\nwor")),
      frame(2, Buffer.from("oops ✗\n")),
      frame(1, Buffer.from("ld\nlast")),
    ]);
    for (let cut = 1; cut < wire.length; cut++) {
      const lines: string[] = [];
      const d = new LineDemuxer((line, stream) => lines.push(`${stream}:${line}`));
      d.push(wire.subarray(0, cut));
      d.push(wire.subarray(cut));
      d.end();
      expect(lines, `cut at ${cut}`).toEqual(["stdout:héllo", "stderr:oops ✗", "stdout:world", "stdout:last"]);
    }
  });

  it("handles one byte at a time", () => {
    const wire = frame(1, Buffer.from("a\nbc\n"));
    const lines: string[] = [];
    const d = new LineDemuxer((line) => lines.push(line));
    for (const byte of wire) d.push(Buffer.from([byte]));
    d.end();
    expect(lines).toEqual(["a", "bc"]);
  });
});
