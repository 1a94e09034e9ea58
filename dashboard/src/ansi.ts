/** One run of text with the SGR attributes in force. */
export interface Span {
  text: string;
  fg?: number;
  bg?: number;
  bold?: boolean;
}

// ESC [ params m (colours); other CSI sequences (cursor moves, erase) are dropped.
const CSI = /\x1b\[([0-9;]*)([A-Za-z])/g;

/** Splits a log line into coloured spans (SGR 0/1/22/30-37/39/40-47/49/90-97/100-107). */
export function parseAnsi(line: string): Span[] {
  if (!line.includes("\x1b")) return [{ text: line }];
  const spans: Span[] = [];
  let state: Omit<Span, "text"> = {};
  let last = 0;
  for (const m of line.matchAll(CSI)) {
    if (m.index > last) spans.push({ text: line.slice(last, m.index), ...state });
    last = m.index + m[0].length;
    if (m[2] !== "m") continue;
    const codes = (m[1] || "0").split(";").map(Number);
    for (const c of codes) {
      if (c === 0) state = {};
      else if (c === 1) state = { ...state, bold: true };
      else if (c === 22) state = { ...state, bold: false };
      else if ((c >= 30 && c <= 37) || (c >= 90 && c <= 97)) state = { ...state, fg: c };
      else if (c === 39) state = { ...state, fg: undefined };
      else if ((c >= 40 && c <= 47) || (c >= 100 && c <= 107)) state = { ...state, bg: c };
      else if (c === 49) state = { ...state, bg: undefined };
    }
  }
  if (last < line.length) spans.push({ text: line.slice(last), ...state });
  return spans;
}

export function stripAnsi(line: string): string {
  return line.includes("\x1b") ? line.replace(CSI, "") : line;
}
