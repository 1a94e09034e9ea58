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

  // Every BASE64_WINDOW-long window of every interior (both alphabets): a line holding one is
  // a piece of the secret's wrapped encoding.
  const windows = new Set<string>();
  for (const interior of secrets.flatMap(base64Interiors)) {
    for (const form of [interior, interior.replace(/\+/g, "-").replace(/\//g, "_")]) {
      for (let i = 0; i + BASE64_WINDOW <= form.length; i++) windows.add(form.slice(i, i + BASE64_WINDOW));
    }
  }

  function windowRanges(text: string, found: [number, number][]): void {
    if (windows.size === 0) return;
    for (const run of text.matchAll(/[A-Za-z0-9+/_-]{8,}/g)) {
      const base = run.index ?? 0;
      const word = run[0];
      for (let i = 0; i + BASE64_WINDOW <= word.length; i++) {
        if (windows.has(word.slice(i, i + BASE64_WINDOW))) found.push([base + i, base + i + BASE64_WINDOW]);
      }
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
