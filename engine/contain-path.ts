import { lstat, readlink, realpath, stat } from "node:fs/promises";
import { dirname, isAbsolute, posix, relative, resolve, sep } from "node:path";
import { ContainmentError } from "./containment-errors.js";

/** What the pipeline wrote and what it is, for messages. */
export interface ContainRequest {
  /** The checkout (the pipeline's root): nothing outside it is ever read or named. */
  root: string;
  /** Directory a relative `path` is relative to (default `root`); must itself be inside `root`. */
  base?: string;
  /** The path exactly as the pipeline (or compose file) wrote it. */
  path: string;
  /** What the path is, as the message should say it: `builder go: dockerfile`, `compose file`. */
  what: string;
  /** `file` or `directory` when the path must be one; `any` (default) accepts either. */
  kind?: "file" | "directory" | "any";
  /** A missing path is fine (a bind mount compose creates): only its existing part is resolved. */
  allowMissing?: boolean;
}

/** True when `path` is written as absolute on any platform a pipeline could come from. */
export function isAbsoluteLike(path: string): boolean {
  return isAbsolute(path) || path.startsWith("\\") || /^[A-Za-z]:/.test(path) || path.startsWith("~");
}

/**
 * Resolves a path a pipeline names inside the checkout, following symbolic links the way the
 * consumer (docker build, compose) will, and refuses it unless the real location is inside
 * `root`. Returns the real absolute path (for a missing path with `allowMissing`: the real
 * path of its existing part plus the rest). Refusals are ContainmentErrors whose message
 * shows the path as written and its repository-relative form, never a host path.
 */
export async function containPath(req: ContainRequest): Promise<string> {
  const { path, what } = req;
  const outside = (why: string) =>
    new ContainmentError(
      "SLIPWAY_E_PATH_OUTSIDE_CHECKOUT",
      `${what} "${shown(path)}" ${why}; paths are relative to the repository and must stay inside its checkout`,
    );
  if (path.trim() === "") throw outside("is empty");
  if (path.includes("\0")) throw outside("contains a NUL byte");
  if (isAbsoluteLike(path)) throw outside("is absolute");
  const root = await realpath(req.root);
  const base = req.base ? await realpath(req.base) : root;
  if (!inside(root, base)) throw outside("is relative to a directory outside the checkout");
  const lexical = resolve(base, path);
  if (!inside(root, lexical)) throw outside('climbs out of the checkout with ".."');
  const repoRel = toPosix(relative(root, lexical)) || ".";
  let real: string;
  try {
    real = await realpath(lexical);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ELOOP")
      throw new ContainmentError(
        "SLIPWAY_E_PATH_NOT_FOUND",
        `${what} "${shown(path)}" cannot be resolved in the checkout: ${repoRel} is a loop of symbolic links`,
      );
    // Missing (or a dangling link): the part that exists must still be inside, and a dangling
    // link must not point out (compose would create its target on the host).
    const { real: ancestor, rest } = await realAncestor(lexical);
    if (!inside(root, ancestor)) throw outside("resolves outside the checkout through a symbolic link");
    const leaf = await lstat(lexical).catch(() => undefined);
    if (leaf?.isSymbolicLink()) {
      const target = resolve(dirname(lexical), await readlink(lexical));
      if (!inside(root, target)) throw outside("is a symbolic link pointing outside the checkout");
    }
    if (req.allowMissing) return rest ? resolve(ancestor, rest) : ancestor;
    throw new ContainmentError(
      "SLIPWAY_E_PATH_NOT_FOUND",
      `${what} "${shown(path)}" not found in the checkout (${repoRel})`,
    );
  }
  if (!inside(root, real)) throw outside("resolves outside the checkout through a symbolic link");
  if (req.kind && req.kind !== "any") {
    const st = await stat(real);
    const isKind = req.kind === "file" ? st.isFile() : st.isDirectory();
    if (!isKind)
      throw new ContainmentError(
        "SLIPWAY_E_PATH_WRONG_KIND",
        `${what} "${shown(path)}" is ${st.isDirectory() ? "a directory" : "not a directory"} in the checkout (${repoRel}); a ${req.kind} is needed`,
      );
  }
  return real;
}

/** The real path of the nearest existing ancestor of `abs`, and the missing rest below it. */
async function realAncestor(abs: string): Promise<{ real: string; rest: string }> {
  const missing: string[] = [];
  let current = abs;
  for (;;) {
    try {
      const real = await realpath(current);
      return { real, rest: missing.reverse().join(sep) };
    } catch {
      const parent = dirname(current);
      if (parent === current) return { real: current, rest: missing.reverse().join(sep) };
      missing.push(current.slice(parent.length + (parent.endsWith(sep) ? 0 : 1)));
      current = parent;
    }
  }
}

/** Whether `path` is `root` or below it (both absolute and normalised). */
export function inside(root: string, path: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : `${root}${sep}`);
}

/** Checkout-relative POSIX form of an absolute path inside `root`, for messages. */
export function repoRelative(root: string, abs: string): string {
  return toPosix(relative(root, abs)) || ".";
}

function toPosix(p: string): string {
  return sep === "/" ? p : p.split(sep).join(posix.sep);
}

/** Paths are untrusted text: cut them short and make control characters visible. */
function shown(text: string): string {
  const visible = text.replace(/\p{Cc}/gu, (ch) => `\\x${ch.charCodeAt(0).toString(16).padStart(2, "0")}`);
  return visible.length > 160 ? `${visible.slice(0, 157)}...` : visible;
}
