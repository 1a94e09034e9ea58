import { BASE64_WINDOW, base64Interiors, maskForms } from "./forms.js";

/** What a masked secret becomes: fixed, so the output does not reveal the secret's length. */
export const MASK = "****";

/** Masks one line of output. */
export type Masker = (line: string) => string;

/** The compiled matcher behind `createMasker`, also used by the stream helper. */
export interface CompiledMasker {
  mask(text: string): string;
  /** Merged `[start, end)` ranges of `text` covered by any secret form, in order. */
  ranges(text: string): [number, number][];
  /** Length of the longest form: how much a stream must hold back to see a whole one. */
  readonly longest: number;
}

/**
 * Compiles `secrets` (plus any extra strings the caller derives, e.g. `user:password` so its
 * base64 in a Basic auth header is masked too) into a matcher. Matching uses `indexOf`, not a
 * regular expression, so secrets with `$`, `(`, `\` or `.` need no escaping; every occurrence
 * of every form is found, overlaps included, and the covered ranges are merged, so a secret
 * containing another, or two overlapping secrets, are masked completely.
 */
export function compileMasker(secrets: readonly string[]): CompiledMasker {
  const forms = [...new Set(secrets.flatMap(maskForms))].sort((a, b) => b.length - a.length);
  const longest = forms[0]?.length ?? 0;
  const shortest = forms.at(-1)?.length ?? 0;

  // Every BASE64_WINDOW-long (8) window of every interior: a line holding one is a piece of
  // the secret's wrapped encoding. A window is two 24-bit halves (4 characters of 6 bits
  // each; the standard and URL-safe alphabets map alike). The scan below rolls over the text
  // in integer arithmetic and asks two bitmaps of the halves before the exact set: no
  // substring per character and no lookup for almost every position (50 MB in well under a
  // second, bench/masking.ts).
  if (BASE64_WINDOW !== 8) throw new Error("the window scan below is written for 8-character windows");
  const windows = new Set<number>();
  const heads = new Uint8Array(1 << 21);
  const tails = new Uint8Array(1 << 21);
  for (const interior of secrets.flatMap(base64Interiors)) {
    for (let i = 0; i + BASE64_WINDOW <= interior.length; i++) {
      let head = 0;
      let tail = 0;
      for (let k = 0; k < 4; k++) head = (head << 6) | base64Value(interior.charCodeAt(i + k));
      for (let k = 4; k < 8; k++) tail = (tail << 6) | base64Value(interior.charCodeAt(i + k));
      windows.add(head * 0x1000000 + tail);
      heads[head >>> 3] = (heads[head >>> 3] ?? 0) | (1 << (head & 7));
      tails[tail >>> 3] = (tails[tail >>> 3] ?? 0) | (1 << (tail & 7));
    }
  }

  function windowRanges(text: string, found: [number, number][]): void {
    if (windows.size === 0) return;
    // quads[i & 7]: the 24-bit value of the 4 characters ending at i.
    const quads = new Int32Array(8);
    let quad = 0;
    let run = 0;
    for (let i = 0; i < text.length; i++) {
      const digit = base64Value(text.charCodeAt(i));
      if (digit < 0) {
        run = 0;
        quad = 0;
        continue;
      }
      quad = ((quad << 6) | digit) & 0xffffff;
      quads[i & 7] = quad;
      if (++run < BASE64_WINDOW) continue;
      if (((tails[quad >>> 3] ?? 0) & (1 << (quad & 7))) === 0) continue;
      const head = quads[(i - 4) & 7] ?? 0;
      if (((heads[head >>> 3] ?? 0) & (1 << (head & 7))) === 0) continue;
      if (windows.has(head * 0x1000000 + quad)) found.push([i + 1 - BASE64_WINDOW, i + 1]);
    }
  }

  function ranges(text: string): [number, number][] {
    if (text.length < Math.min(shortest || BASE64_WINDOW, BASE64_WINDOW)) return [];
    const found: [number, number][] = [];
    windowRanges(text, found);
    // Store-issued API tokens (`slw_` + 43 base64url characters) whatever their value: the
    // daemon keeps only their digests, so their shape is what identifies them.
    for (const m of text.matchAll(/slw_[A-Za-z0-9_-]{43}/g)) found.push([m.index ?? 0, (m.index ?? 0) + m[0].length]);
    for (const form of forms) {
      if (form.length > text.length) continue;
      for (let at = text.indexOf(form); at !== -1; at = text.indexOf(form, at + 1)) {
        found.push([at, at + form.length]);
      }
    }
    if (found.length === 0) return found;
    found.sort((a, b) => a[0] - b[0]);
    const merged: [number, number][] = [];
    for (const range of found) {
      const last = merged.at(-1);
      // Touching ranges merge too: two adjacent secrets become one mask, not two.
      if (last && range[0] <= last[1]) last[1] = Math.max(last[1], range[1]);
      else merged.push([range[0], range[1]]);
    }
    return merged;
  }

  function mask(text: string): string {
    const covered = ranges(text);
    if (covered.length === 0) return text;
    let out = "";
    let from = 0;
    for (const [start, end] of covered) {
      out += text.slice(from, start) + MASK;
      from = end;
    }
    return out + text.slice(from);
  }

  return { mask, ranges, longest };
}

/**
 * A function replacing every occurrence of each secret (and its encodings, see `maskForms`)
 * in a line with `****`. The contract is per line: the executor splits output into whole
 * lines before masking, which is what lets a multi-line secret be masked line by line.
 * Secrets shorter than 3 characters are ignored.
 */
export function createMasker(secrets: readonly string[]): Masker {
  const compiled = compileMasker(secrets);
  return (line) => compiled.mask(line);
}

/** A base64 character's 6-bit value (`+`/`-` and `/`/`_` alike), or -1 for any other character. */
function base64Value(code: number): number {
  if (code >= 65 && code <= 90) return code - 65; // A-Z
  if (code >= 97 && code <= 122) return code - 71; // a-z
  if (code >= 48 && code <= 57) return code + 4; // 0-9
  if (code === 43 || code === 45) return 62; // + -
  if (code === 47 || code === 95) return 63; // / _
  return -1;
}
