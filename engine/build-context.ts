import { createReadStream } from "node:fs";
import { lstat, readdir, readFile, readlink } from "node:fs/promises";
import { createRequire } from "node:module";
import { join, relative, sep } from "node:path";
import { Readable } from "node:stream";
import type { Pack } from "tar-stream";
import { EngineError } from "./errors.js";

// The package is CommonJS with `module.exports = factory`, which its typings describe as a
// default export; requiring it sidesteps the ESM interop mismatch.
const dockerignore = createRequire(import.meta.url)(
  "@balena/dockerignore",
) as typeof import("@balena/dockerignore").default;

/**
 * Packs a build context directory into a tar stream, honouring `.dockerignore` the way the
 * docker CLI does: ignored paths are left out, but the Dockerfile and `.dockerignore` are
 * always sent because the daemon needs them.
 */
export async function packBuildContext(
  dir: string,
  opts: ContextOptions & {
    /**
     * The name of an empty file added as the archive's last entry, dated 1 s past the epoch:
     * who waits for it (old, so the engine has set its times, its last step) knows the rest is there.
     */
    lastEntry?: string;
  } = {},
): Promise<NodeJS.ReadableStream> {
  // Loaded on first use (~150 KB with its streams): `slipway run` packs only once its first
  // step's start request is out.
  const [tarStream, files] = await Promise.all([import("tar-stream"), listContextFiles(dir, opts)]);
  // A CommonJS package: Node names its exports, the CLI's bundle gives them as `default` only.
  const { pack } = "pack" in tarStream ? tarStream : (tarStream as { default: typeof tarStream }).default;
  const tar = pack();
  // Entries are added sequentially in the background; the caller consumes the stream.
  void (async () => {
    try {
      for (const rel of files) await addEntry(tar, dir, rel);
      if (opts.lastEntry)
        tar.entry({ name: opts.lastEntry, type: "file", size: 0, mode: 0o644, mtime: new Date(1000) }, Buffer.alloc(0));
      tar.finalize();
    } catch (err) {
      tar.destroy(err as Error);
    }
  })();
  // tar-stream produces a streamx stream; dockerode pipes a Node stream.
  return Readable.from(tar);
}

/** Context-relative POSIX paths of everything sent to the daemon, in a stable order. */
export interface ContextOptions {
  /** Dockerfile path relative to `dir`; when given it must exist and is always sent. */
  dockerfile?: string;
  /** Extra top-level names to leave out (e.g. `.git` when copying a workspace). */
  exclude?: string[];
  /** Whether `.dockerignore` applies (default true; false for a plain copy of a directory). */
  dockerignore?: boolean;
}

export async function listContextFiles(dir: string, opts: ContextOptions = {}): Promise<string[]> {
  const { dockerfile } = opts;
  const exclude = new Set(opts.exclude ?? []);
  let patterns: string[] = [];
  if (opts.dockerignore !== false)
    try {
      // Read only as a regular file: a committed `.dockerignore -> /etc/shadow` would otherwise
      // read a host file (symbolic links in a context are sent as links, never followed).
      if ((await lstat(join(dir, ".dockerignore"))).isSymbolicLink())
        throw new EngineError("SLIPWAY_E_ENGINE_CONTEXT", ".dockerignore of the build context is a symbolic link");
      patterns = (await readFile(join(dir, ".dockerignore"), "utf8")).split(/\r?\n/);
    } catch (err) {
      if (err instanceof EngineError || (err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
  try {
    await lstat(join(dir, dockerfile ?? "."));
  } catch (err) {
    throw new EngineError("SLIPWAY_E_ENGINE_CONTEXT", `no ${dockerfile ?? "directory"} in the build context`, {
      cause: err,
    });
  }
  const ig = dockerignore({ ignorecase: false }).add(patterns);
  const always = new Set([".dockerignore", ...(dockerfile ? [toPosix(dockerfile)] : [])]);
  const hasExceptions = patterns.some((line) => line.trim().startsWith("!"));
  const out: string[] = [];
  const walk = async (abs: string): Promise<void> => {
    const entries = await readdir(abs, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const full = join(abs, entry.name);
      const rel = toPosix(relative(dir, full));
      if (abs === dir && exclude.has(entry.name)) continue;
      const ignored = ig.ignores(rel) && !always.has(rel);
      if (entry.isDirectory()) {
        // An ignored directory is skipped unless a `!` exception might re-include something
        // inside it (node_modules, .git and the like are usually ignored wholesale).
        if (!ignored || hasExceptions) await walk(full);
      } else if (!ignored) {
        out.push(rel);
      }
    }
  };
  await walk(dir);
  return out;
}

async function addEntry(tar: Pack, dir: string, rel: string): Promise<void> {
  const abs = join(dir, rel);
  const st = await lstat(abs);
  if (st.isSymbolicLink()) {
    tar.entry({ name: rel, type: "symlink", linkname: await readlink(abs), mode: st.mode });
    return;
  }
  if (!st.isFile()) return;
  await new Promise<void>((resolve, reject) => {
    const entry = tar.entry({ name: rel, size: st.size, mode: st.mode, mtime: st.mtime }, (err) =>
      err ? reject(err) : resolve(),
    );
    createReadStream(abs).on("error", reject).pipe(entry);
  });
}

function toPosix(p: string): string {
  return sep === "/" ? p : p.split(sep).join("/");
}
