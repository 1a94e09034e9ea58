import { compileMasker } from "./masker.js";

/**
 * For output that arrives in arbitrary chunks (a container's log stream) rather than whole
 * lines. A secret can straddle two chunks, so masking each chunk on its own would leak it;
 * this emits only whole lines, masked, and keeps the unfinished line for the next chunk.
 */
export interface StreamMasker {
  /** Adds a chunk; returns the masked text of every line it completed (ending in `\n`), possibly "". */
  write(chunk: string): string;
  /** Returns the masked rest (an unterminated last line); the masker is then empty. */
  end(): string;
}

export interface StreamMaskerOptions {
  /**
   * A line longer than this is emitted in parts, so a stream without newlines (a progress
   * bar, a binary blob) cannot grow memory without bound. Default 64 KiB.
   */
  maxLineLength?: number;
}

export function createStreamMasker(secrets: readonly string[], options: StreamMaskerOptions = {}): StreamMasker {
  const compiled = compileMasker(secrets);
  const maxLineLength = Math.max(options.maxLineLength ?? 64 * 1024, compiled.longest * 2, 1);
  let pending = "";

  // All the whole lines of a chunk in one pass, not line by line: a form never matches less
  // across a newline (the base64 window scan and the token shape stop at it), and one
  // indexOf per form over 64 KiB instead of one per line is what keeps 50 secrets cheap.
  const maskLines = (text: string) => compiled.mask(text);

  /**
   * Emits the head of an over-long unfinished line. The cut keeps the last `longest - 1`
   * characters back, so any secret starting in the emitted head lies wholly inside the
   * buffer and was found; a match across the cut moves the cut to its end.
   */
  function flushLong(): string {
    let cut = pending.length - Math.max(compiled.longest - 1, 0);
    for (const [start, end] of compiled.ranges(pending)) {
      if (start < cut && end > cut) cut = end;
    }
    const head = pending.slice(0, cut);
    pending = pending.slice(cut);
    return compiled.mask(head);
  }

  return {
    write(chunk) {
      pending += chunk;
      const newline = pending.lastIndexOf("\n");
      let out = "";
      if (newline !== -1) {
        out = `${maskLines(pending.slice(0, newline))}\n`;
        pending = pending.slice(newline + 1);
      }
      if (pending.length > maxLineLength) out += flushLong();
      return out;
    },
    end() {
      const rest = compiled.mask(pending);
      pending = "";
      return rest;
    },
  };
}
