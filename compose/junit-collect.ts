import { readFile } from "node:fs/promises";
import { join, posix } from "node:path";
import { globBase, globStaysInside, pathGlob } from "../core/index.js";
import { type Engine, extractArchive } from "../engine/index.js";
import { isComposeError } from "./errors.js";
import { type JUnitCounts, parseJUnit } from "./junit.js";

/** Where the tests' JUnit files are and where they go. */
export interface JUnitCollectOptions {
  engine: Engine;
  /** Docker volume holding the run's workspace, and where test containers mount it. */
  volume: string;
  mountPath: string;
  /** Globs relative to the workspace (`reports/*.xml`, `**\/junit-*.xml`). */
  patterns: string[];
  /** Matching files are copied here, keeping their workspace-relative path. */
  artifactsDir: string;
  /** Image of the short-lived (never started) container the files are copied out of. */
  image: string;
  labels: Record<string, string>;
  /** Files last written before this instant are stale reports of an earlier run and ignored. */
  since?: Date;
  /** Cancel or stage timeout: stops a pull of `image` (the only step that can take long). */
  signal?: AbortSignal;
}

export interface CollectedJUnit {
  /** Workspace-relative paths of the collected files (also their place under `artifactsDir`). */
  files: string[];
  counts: JUnitCounts[];
  /** Files that matched but could not be parsed. */
  problems: string[];
}

/**
 * Copies the JUnit files out of the workspace volume. All shards share that volume, so
 * collecting once after every shard finished counts each file exactly once; tests of a
 * sharded stage should name their report after `$SLIPWAY_SHARD`. The copy goes through a
 * container that is created (never started) with the volume mounted read-only, because the
 * engine serves archives of a container's mounts whether or not it runs.
 */
export async function collectJUnit(opts: JUnitCollectOptions): Promise<CollectedJUnit> {
  const result: CollectedJUnit = { files: [], counts: [], problems: [] };
  const patterns: string[] = [];
  for (const pattern of opts.patterns) {
    if (globStaysInside(pattern)) patterns.push(pattern);
    else result.problems.push(`${pattern}: a JUnit glob is relative to the workspace and may not leave it`);
  }
  if (patterns.length === 0) return result;
  const matchers = patterns.map(pathGlob);
  const wanted = new Set(patterns.map(copyRoot));
  // A glob that may match anywhere copies the whole workspace once; nothing else is needed then.
  const roots = wanted.has("") ? [""] : [...wanted];
  await opts.engine.ensureImage(opts.image, undefined, opts.signal);
  const id = await opts.engine.createContainer({
    image: opts.image,
    cmd: ["true"],
    binds: [`${opts.volume}:${opts.mountPath}:ro`],
    labels: opts.labels,
  });
  try {
    const seen = new Set<string>();
    for (const root of roots) {
      const source = root === "" ? opts.mountPath : posix.join(opts.mountPath, root);
      const tar = await copyOut(opts.engine, id, source, root, result.problems);
      if (!tar) continue;
      // Archive entries start with the copied directory's own name, which for a top-level
      // root is already its workspace-relative name; the workspace itself is stripped. Only
      // regular files that match are written, through the one safe extractor: a symlink is
      // never a match, so none is followed out of the workspace.
      const written = await extractArchive(tar, {
        dest: opts.artifactsDir,
        strip: root === "" ? 1 : 0,
        label: `junit ${root || "."}`,
        select: (relToWorkspace, header) => {
          if (header.type !== "file") return false;
          if (seen.has(relToWorkspace) || !matchers.some((match) => match(relToWorkspace))) return false;
          if (opts.since && header.mtime && header.mtime.getTime() < opts.since.getTime() - 2000) return false;
          seen.add(relToWorkspace);
          return true;
        },
      });
      for (const relToWorkspace of written) {
        result.files.push(relToWorkspace);
        try {
          const xml = await readFile(join(opts.artifactsDir, relToWorkspace), "utf8");
          result.counts.push(parseJUnit(xml, relToWorkspace));
        } catch (err) {
          // parseJUnit's messages already start with the file; a read error's do not.
          result.problems.push(isComposeError(err) ? err.message : `${relToWorkspace}: ${String(err)}`);
        }
      }
    }
  } finally {
    await opts.engine.removeContainer(id);
  }
  result.files.sort();
  return result;
}

/**
 * The archive of `source`, or undefined: a 404 is "the tests wrote no report there"; any other
 * engine error (a busy engine timing out) is tried once more and then reported as a problem,
 * never taken for an empty directory.
 */
async function copyOut(
  engine: Engine,
  id: string,
  source: string,
  root: string,
  problems: string[],
): Promise<NodeJS.ReadableStream | undefined> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await engine.copyFromContainer(id, source);
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404) return undefined;
      if (attempt >= 2) {
        problems.push(`${root || "."}: could not copy the reports out of the workspace: ${(err as Error).message}`);
        return undefined;
      }
    }
  }
}

/**
 * What to copy out of the workspace for a glob: the first segment of its static base
 * (`reports/unit/*.xml` → `reports`), or the whole workspace. Never deeper: the engine
 * resolves symlinks in the middle of an archive path, so copying `reports/unit` when
 * `reports` is a committed link to `/etc` would read outside the workspace. The last
 * segment of a path it does not follow: that link arrives as a link, and links never match.
 */
export function copyRoot(pattern: string): string {
  return globBase(pattern).split("/")[0] ?? "";
}
