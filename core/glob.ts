import { createRequire } from "node:module";
import type Picomatch from "picomatch";

// Loaded on first use: every CLI verb imports core/ (for its errors), few of them match globs,
// and picomatch's load is a few ms of each `slipway runs`.
const requireLib = createRequire(import.meta.url);
let picomatchLib: typeof Picomatch | undefined;
const lib = (): typeof Picomatch => (picomatchLib ??= requireLib("picomatch") as typeof Picomatch);
function picomatch(pattern: string, options: Picomatch.PicomatchOptions): Picomatch.Matcher {
  return lib()(pattern, options);
}

/**
 * The one glob grammar of Slipway, through picomatch (so `[abc]`, `{a,b}`, `**` and the
 * escapes mean what they mean in every shell and .gitignore, rather than what a hand-written
 * translation happened to get right). Two flavours, because paths and ref names differ:
 * - `pathGlob`: workspace paths. `*` and `?` stay inside one path segment, `**` spans
 *   segments, dotfiles match (reports are often written under `.reports/`).
 * - `nameGlob`: branch and tag names. `*` spans `/` too (`release/*` follows
 *   `release/1.2/hotfix`), as a ref name is one flat string to a forge.
 * A leading `!` is literal in both: a glob in a Slipway file selects, it never negates.
 */
export type GlobMatcher = (text: string) => boolean;

// `posix: true` makes `[!abc]` a negated class as in sh; without it picomatch 4.0.x reads the
// `!` as a member, inverting the match (micromatch/picomatch#187, fixed upstream by #196).
const PATH_OPTIONS: Picomatch.PicomatchOptions = { dot: true, nonegate: true, posix: true, windows: false };
// `bash: true` is picomatch's "a single star is a globstar": exactly the flat-name rule.
const NAME_OPTIONS: Picomatch.PicomatchOptions = { ...PATH_OPTIONS, bash: true };

export function pathGlob(pattern: string): GlobMatcher {
  const match = picomatch(normalizePathGlob(pattern), PATH_OPTIONS);
  return (text) => match(text);
}

export function nameGlob(pattern: string): GlobMatcher {
  const match = picomatch(pattern, NAME_OPTIONS);
  return (text) => match(text);
}

/**
 * The directory a path glob cannot match outside of: the segments before the first one
 * holding glob syntax (`reports/unit/*.xml` → `reports/unit`, `a/b[c]/d.xml` → `a`, a plain
 * `out/junit.xml` → `out`). Empty when the glob may match anywhere in the tree.
 */
export function globBase(pattern: string): string {
  const normalized = normalizePathGlob(pattern);
  const scan = lib().scan(normalized, PATH_OPTIONS);
  // scan() returns the whole input as `base` for a glob-free pattern: that is a file, not a dir.
  const base = scan.isGlob ? scan.base : normalized.split("/").slice(0, -1).join("/");
  return base === "." ? "" : base;
}

/**
 * Whether a path glob stays inside the tree it is applied to: relative, and no `..` segment
 * (a `..` would make the base, and so what is read, lie outside the workspace).
 */
export function globStaysInside(pattern: string): boolean {
  const trimmed = pattern.trim();
  if (trimmed === "" || trimmed.startsWith("/")) return false;
  return !trimmed.split("/").includes("..");
}

/** `./reports/*.xml` and `reports/*.xml` are the same glob. */
function normalizePathGlob(pattern: string): string {
  return pattern.trim().replace(/^(\.\/)+/, "");
}
