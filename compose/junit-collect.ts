import { readFile } from "node:fs/promises";
import { join, posix } from "node:path";
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
  if (opts.patterns.length === 0) return result;
  const matchers = opts.patterns.map(globToRegExp);
  const prefixes = [...new Set(opts.patterns.map(staticPrefix))];
  await opts.engine.ensureImage(opts.image);
  const id = await opts.engine.createContainer({
    image: opts.image,
    cmd: ["true"],
    binds: [`${opts.volume}:${opts.mountPath}:ro`],
    labels: opts.labels,
  });
  try {
    const seen = new Set<string>();
    for (const prefix of prefixes) {
      const source = prefix === "" ? opts.mountPath : posix.join(opts.mountPath, prefix);
      let tar: NodeJS.ReadableStream;
      try {
        tar = await opts.engine.copyFromContainer(id, source);
      } catch {
        continue; // Nothing at that path: the tests wrote no report there.
      }
      // Archive entries start with the copied directory's own name; re-anchor them to the
      // workspace. Only matching files are written, through the one safe extractor.
      const written = await extractArchive(tar, {
        dest: opts.artifactsDir,
        strip: prefix === "" ? 1 : 0,
        prefix: prefix === "" ? "" : posix.dirname(prefix),
        label: `junit ${prefix || "."}`,
        select: (relToWorkspace, header) => {
          if (header.type !== "file") return false;
          if (seen.has(relToWorkspace) || !matchers.some((re) => re.test(relToWorkspace))) return false;
          if (opts.since && header.mtime && header.mtime.getTime() < opts.since.getTime() - 2000) return false;
          seen.add(relToWorkspace);
          return true;
        },
      });
      for (const relToWorkspace of written) {
        result.files.push(relToWorkspace);
        try {
          result.counts.push(parseJUnit(await readFile(join(opts.artifactsDir, relToWorkspace), "utf8")));
        } catch (err) {
          result.problems.push(`${relToWorkspace}: ${isComposeError(err) ? err.message : String(err)}`);
        }
      }
    }
  } finally {
    await opts.engine.removeContainer(id);
  }
  result.files.sort();
  return result;
}

/** The directory part of a glob before its first wildcard (`reports/unit/*.xml` → `reports/unit`). */
export function staticPrefix(glob: string): string {
  const parts = normalizeGlob(glob).split("/");
  const fixed: string[] = [];
  for (const part of parts.slice(0, -1)) {
    if (/[*?[{]/.test(part)) break;
    fixed.push(part);
  }
  return fixed.join("/");
}

/** Workspace-relative glob → RegExp: `**` spans directories, `*` and `?` do not, `{a,b}` alternates. */
export function globToRegExp(glob: string): RegExp {
  const g = normalizeGlob(glob);
  let re = "";
  for (let i = 0; i < g.length; i++) {
    const ch = g[i] ?? "";
    if (ch === "*" && g[i + 1] === "*") {
      const slash = g[i + 2] === "/";
      re += slash ? "(?:.*/)?" : ".*";
      i += slash ? 2 : 1;
    } else if (ch === "*") re += "[^/]*";
    else if (ch === "?") re += "[^/]";
    else if (ch === "{") re += "(?:";
    else if (ch === "}") re += ")";
    else if (ch === ",") re += "|";
    else re += ch.replace(/[.+^$()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}

function normalizeGlob(glob: string): string {
  return glob.trim().replace(/^\.\//, "").replace(/^\/+/, "");
}
