/**
 * Turns a stream of text chunks into whole lines. Chunks from Docker split lines anywhere;
 * users want each log line once and intact. `end()` flushes a last line without newline.
 */
export function splitLines(onLine: (line: string) => void): { push(chunk: string): void; end(): void } {
  let pending = "";
  return {
    push(chunk: string) {
      pending += chunk;
      let nl = pending.indexOf("\n");
      while (nl !== -1) {
        onLine(pending.slice(0, nl).replace(/\r$/, ""));
        pending = pending.slice(nl + 1);
        nl = pending.indexOf("\n");
      }
    },
    end() {
      if (pending.length > 0) onLine(pending.replace(/\r$/, ""));
      pending = "";
    },
  };
}
