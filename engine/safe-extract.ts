import { lstatSync } from "node:fs";
import { mkdir, realpath } from "node:fs/promises";
import { isAbsolute, posix, resolve, sep } from "node:path";
import { pipeline } from "node:stream/promises";
import { ContainmentError, isContainmentError } from "./containment-errors.js";

/** Longest entry name and component accepted (Linux PATH_MAX and NAME_MAX). */
const MAX_NAME_BYTES = 4096;
const MAX_COMPONENT_BYTES = 255;

export interface ExtractOptions {
  /** Directory the entries land in (created when missing); nothing is written outside it. */
  dest: string;
  /** Leading components dropped from every entry name before `prefix` is prepended. */
  strip?: number;
  /** Prepended to every entry name (POSIX, relative): where the archive's top entry belongs. */
  prefix?: string;
  /** Entries (by final relative name) to leave out; the others are checked and written. */
  select?(name: string, header: { type: string; mtime?: Date }): boolean;
  /** How the archive is named in refusals (`artifact out/app`). */
  label: string;
}

interface EntryHeader {
  name: string;
  type: string;
  linkname?: string | null;
  mtime?: Date;
}

/**
 * Extracts a tar stream (a container archive) into `dest` through tar-fs, streaming, with
 * Slipway's rules on top of tar-fs's own checks: no write through a symbolic link, no entry
 * replacing a file of another type, no name that leaves `dest`, no `.git`, no hard links or
 * special files, no absurd names, and symbolic links only when they point inside `dest`
 * (others are refused, not skipped: a half-copied tree is worse than a clear failure).
 * Resolves with the relative names of the regular files written; every failure is a rejected
 * ContainmentError naming the entry as the archive wrote it, never a host path.
 */
export async function extractArchive(tar: NodeJS.ReadableStream, opts: ExtractOptions): Promise<string[]> {
  // Loaded on first use, with tar-stream under it: most commands never extract an archive, and
  // `slipway run` extracts only after its first step has started.
  const tarFs = await import("tar-fs");
  // A CommonJS package: Node names its exports, the CLI's bundle gives them as `default` only.
  const { extract: tarExtract } = "extract" in tarFs ? tarFs : (tarFs as { default: typeof tarFs }).default;
  await mkdir(opts.dest, { recursive: true });
  const root = await realpath(opts.dest);
  const prefix = opts.prefix && opts.prefix !== "." ? posix.normalize(opts.prefix) : "";
  const files: string[] = [];
  let refusal: ContainmentError | undefined;
  const ex = tarExtract(root, {
    // tar-fs would chown to the container's uids when Slipway runs as root; the daemon's user
    // owns what it copies. Owner bits are added so a 0o000 entry cannot block later writes.
    chown: false,
    dmode: 0o700,
    fmode: 0o600,
    map: (header: EntryHeader) => {
      const stripped = opts.strip ? header.name.split("/").slice(opts.strip).join("/") : header.name;
      header.name = prefix ? posix.join(prefix, stripped) : posix.normalize(stripped || ".");
      return header;
    },
    ignore: (_abs: string, header?: EntryHeader) => {
      if (refusal || !header) return true;
      const name = header.name.replace(/\/+$/, "");
      if (name === "" || name === ".") return true; // the destination root itself
      if (opts.select && !opts.select(name, header)) return true;
      try {
        checkEntry(root, name, header, opts.label);
      } catch (err) {
        // The rest of the archive is drained unwritten, then the pipeline below rejects with
        // this refusal. Destroying the extractor mid-entry would leave tar-stream's entry
        // stream emitting an error nobody listens to: the very process crash this prevents.
        refusal = err as ContainmentError;
        return true;
      }
      if (header.type === "file") files.push(name);
      return false;
    },
    // biome-ignore lint/suspicious/noExplicitAny: tar-fs's typings lack chown and the header-aware map
  } as any);
  try {
    await pipeline(tar, ex);
  } catch (err) {
    if (refusal) throw refusal;
    if (isContainmentError(err)) throw err;
    const message = (err as Error).message ?? "";
    // tar-fs's own symlink rule: a link may not point at another link (so loops are refused).
    if (/is not a valid symlink/.test(message))
      throw new ContainmentError(
        "SLIPWAY_E_ARTIFACT_SYMLINK",
        `${opts.label}: entry "${shown(relativeTo(message, root))}" is a symbolic link to another link or through one; only links to files and directories inside the artifact tree are kept`,
        { cause: err },
      );
    if (/is not a valid (path|hardlink)/.test(message))
      throw new ContainmentError(
        "SLIPWAY_E_ARTIFACT_SYMLINK",
        `${opts.label}: entry "${shown(relativeTo(message, root))}" would be written through a symbolic link`,
        { cause: err },
      );
    // tar-fs's own messages carry absolute host paths: keep only the errno-style code.
    const code = (err as NodeJS.ErrnoException).code;
    throw new ContainmentError(
      "SLIPWAY_E_ARTIFACT_EXTRACT",
      `${opts.label}: could not be written${code ? ` (${code})` : ""}: ${scrub((err as Error).message, root)}`,
      { cause: err },
    );
  }
  if (refusal) throw refusal;
  return files;
}

/** The rules for one entry, checked against what is on disk right now (entries come one at a time). */
export function checkEntry(root: string, name: string, header: EntryHeader, label: string): void {
  const refuse = (code: ConstructorParameters<typeof ContainmentError>[0], why: string) => {
    throw new ContainmentError(code, `${label}: entry "${shown(name)}" ${why}`);
  };
  checkEntryName(name, label);
  // The host path (destination + name) must fit PATH_MAX too, or the write fails half-way.
  if (Buffer.byteLength(root) + 1 + Buffer.byteLength(name) >= MAX_NAME_BYTES)
    throw new ContainmentError(
      "SLIPWAY_E_ARTIFACT_PATH",
      `${label}: entry "${shown(name)}" has a name too long to write (over ${MAX_NAME_BYTES} bytes with its destination)`,
    );
  switch (header.type) {
    case "file":
    case "directory":
    case "symlink":
      break;
    case "link":
      refuse("SLIPWAY_E_ARTIFACT_LINK", "is a hard link; artifacts hold regular files, directories and symbolic links");
      break;
    case "character-device":
    case "block-device":
    case "fifo":
      refuse("SLIPWAY_E_ARTIFACT_DEVICE", `is a ${header.type}; artifacts hold no special files`);
      break;
    default:
      refuse("SLIPWAY_E_ARTIFACT_DEVICE", `has the unsupported type ${header.type}`);
  }
  const parts = name.split("/");
  // Every existing ancestor must be a real directory: a committed symlink `out -> /etc` must
  // never be written through, and a committed file cannot become a directory.
  let current = root;
  for (const [i, part] of parts.slice(0, -1).entries()) {
    current = `${current}${sep}${part}`;
    const st = lstatOrUndefined(current);
    if (!st) break;
    const at = parts.slice(0, i + 1).join("/");
    if (st.isSymbolicLink())
      refuse("SLIPWAY_E_ARTIFACT_SYMLINK", `would be written through "${shown(at)}", a symbolic link in the checkout`);
    if (!st.isDirectory())
      refuse("SLIPWAY_E_ARTIFACT_TYPE_CONFLICT", `needs "${shown(at)}" to be a directory, but it is a file`);
  }
  const target = `${root}${sep}${parts.join(sep)}`;
  const existing = lstatOrUndefined(target);
  if (existing) {
    const kind = existing.isSymbolicLink()
      ? "symlink"
      : existing.isDirectory()
        ? "directory"
        : existing.isFile()
          ? "file"
          : "special";
    if (kind === "symlink" && header.type !== "symlink")
      refuse("SLIPWAY_E_ARTIFACT_SYMLINK", `would replace a symbolic link of the checkout with a ${header.type}`);
    if (kind !== "symlink" && kind !== header.type)
      refuse(
        "SLIPWAY_E_ARTIFACT_TYPE_CONFLICT",
        `is a ${header.type}, but the checkout has a ${kind} there (a file where a directory was, or the reverse)`,
      );
    if (kind === "file" && existing.nlink > 1)
      refuse("SLIPWAY_E_ARTIFACT_LINK", "would overwrite a file that has other hard links");
  }
  if (header.type === "symlink") {
    const link = header.linkname ?? "";
    if (link === "" || isAbsolute(link))
      refuse(
        "SLIPWAY_E_ARTIFACT_SYMLINK",
        `is a symbolic link to an absolute path; only links inside the artifact tree are kept`,
      );
    const resolved = resolve(root, posix.dirname(name), link);
    if (resolved !== root && !resolved.startsWith(`${root}${sep}`))
      refuse(
        "SLIPWAY_E_ARTIFACT_SYMLINK",
        `is a symbolic link to "${shown(link)}", which points outside the destination`,
      );
  }
}

/** Name rules that need no disk: relative, no `..`, no `.git`, bounded length. */
export function checkEntryName(name: string, label: string): void {
  const refuse = (why: string) => {
    throw new ContainmentError("SLIPWAY_E_ARTIFACT_PATH", `${label}: entry "${shown(name)}" ${why}`);
  };
  if (Buffer.byteLength(name) > MAX_NAME_BYTES) refuse(`has a name longer than ${MAX_NAME_BYTES} bytes`);
  if (name.startsWith("/")) refuse("has an absolute name");
  for (const part of name.split("/")) {
    if (part === "..") refuse('has a ".." component');
    if (part === ".git") refuse('has a ".git" component; artifacts never write into git metadata');
    if (Buffer.byteLength(part) > MAX_COMPONENT_BYTES)
      refuse(`has a component longer than ${MAX_COMPONENT_BYTES} bytes`);
  }
}

function lstatOrUndefined(path: string) {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

/** Entry names are untrusted text: cut them short and make control characters visible. */
function shown(text: string): string {
  const visible = text.replace(/\p{Cc}/gu, (ch) => `\\x${ch.charCodeAt(0).toString(16).padStart(2, "0")}`);
  return visible.length > 120 ? `${visible.slice(0, 117)}...` : visible;
}

/** The entry name inside a tar-fs message (`<root>/a/b is not a valid symlink`). */
function relativeTo(message: string, root: string): string {
  const path = message.split(" is not a valid")[0] ?? "";
  return path.startsWith(`${root}${sep}`) ? path.slice(root.length + 1) : "?";
}

function scrub(message: string, root: string): string {
  return message.split(root).join("<destination>");
}
