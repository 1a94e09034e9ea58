import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { cp, lstat, mkdir, mkdtemp, readFile, readlink, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { containPath, type Engine, EngineError, listContextFiles } from "../engine/index.js";
import type { BuilderDef } from "../pipelines/index.js";
import { BuilderError } from "./errors.js";
import { extraCaCertificates } from "./extra-cas.js";

/**
 * Slipway's own builder Dockerfiles: `builders/catalog/<name>/<version>/Dockerfile` of the
 * package. The catalog is data, not compiled: from `builders/` (tsx) and from
 * `dist/builders/` (the compiled build) alike, it is the package root's `builders/catalog`.
 */
export const CATALOG_DIR = join(packageRoot(dirname(fileURLToPath(import.meta.url))), "builders", "catalog");

function packageRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, "package.json"))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

export interface ResolvedBuilder {
  /** What step containers run: `slipway-builder/<name>:<version>-<hash>` or the user's image. */
  ref: string;
  imageId: string;
  /** True when this call built the image; false when it was reused or is a plain image. */
  built: boolean;
}

/** Where a builder's Dockerfile lives, relative to its own build context. */
export interface BuilderSource {
  context: string;
  dockerfile: string;
}

export function builderSource(def: BuilderDef, repoRoot: string): BuilderSource | undefined {
  if (def.catalog) return { context: join(CATALOG_DIR, def.catalog, def.version), dockerfile: "Dockerfile" };
  if (def.dockerfile) {
    const context = join(repoRoot, def.context ?? dirname(def.dockerfile));
    return { context, dockerfile: relative(context, join(repoRoot, def.dockerfile)) };
  }
  return undefined;
}

/**
 * Hash of everything that determines a builder image: the Dockerfile path, the version and
 * the path and bytes of every file the daemon would receive (`.dockerignore` honoured).
 * Unchanged inputs give the same tag, so the image is reused instead of rebuilt.
 */
export async function contentHash(source: BuilderSource, version: string): Promise<string> {
  const hash = createHash("sha256");
  hash.update(`slipway-builder-v1\0${source.dockerfile}\0${version}\0`);
  for (const file of await listContextFiles(source.context, { dockerfile: source.dockerfile })) {
    hash.update(`${file}\0`);
    // A symbolic link is sent as a link (never followed), so its text is what counts: reading
    // through it would hash a host file outside the context.
    const abs = join(source.context, file);
    const st = await lstat(abs).catch(() => undefined);
    hash.update(
      st?.isSymbolicLink() ? `symlink:${await readlink(abs)}` : await readFile(abs).catch(() => Buffer.alloc(0)),
    );
    hash.update("\0");
  }
  return hash.digest("hex").slice(0, 12);
}

/** Docker repository names must be lowercase `[a-z0-9._-]`. */
function repoName(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9._-]+/g, "-");
}

/**
 * Makes a builder's image available: a plain `image:` is ensured (pulled only when
 * missing); a Dockerfile builder is built once per content hash and reused afterwards.
 * The signal (cancel, stage timeout) stops the pull or build.
 */
export async function resolveBuilderImage(
  engine: Engine,
  def: BuilderDef,
  repoRoot: string,
  onLine: (line: string) => void = () => {},
  signal?: AbortSignal,
): Promise<ResolvedBuilder> {
  if (def.image) return { ref: def.image, imageId: await engine.ensureImage(def.image, onLine, signal), built: false };
  if (def.dockerfile) {
    // Both must resolve inside the checkout, symbolic links followed, before anything is read.
    await containPath({
      root: repoRoot,
      path: def.context ?? dirname(def.dockerfile),
      what: `builder ${def.name}: context`,
      kind: "directory",
    });
    await containPath({ root: repoRoot, path: def.dockerfile, what: `builder ${def.name}: dockerfile`, kind: "file" });
  }
  const declared = builderSource(def, repoRoot);
  if (!declared) throw new BuilderError("SLIPWAY_E_BUILDER_NOT_IN_CATALOG", `builder ${def.name} has no source`);
  if (!def.catalog) return buildOrReuse(engine, def, declared, onLine, signal);
  try {
    await readFile(join(declared.context, declared.dockerfile));
  } catch (err) {
    throw new BuilderError(
      "SLIPWAY_E_BUILDER_NOT_IN_CATALOG",
      `builder ${def.name}: Slipway's catalog has no ${def.catalog}/${def.version}`,
      { cause: err },
    );
  }
  const context = await catalogContext(declared.context);
  try {
    return await buildOrReuse(engine, def, { context, dockerfile: declared.dockerfile }, onLine, signal);
  } finally {
    await rm(context, { recursive: true, force: true });
  }
}

/**
 * A catalog entry's build context: its files plus `certs/` holding the extra CAs of the
 * machine Slipway runs on (builders/extra-cas.ts), which the catalog Dockerfiles trust before
 * they download anything. The CAs are part of the content hash: a new proxy CA rebuilds.
 */
async function catalogContext(entry: string): Promise<string> {
  const context = await mkdtemp(join(tmpdir(), "slipway-catalog-"));
  await cp(entry, context, { recursive: true });
  await mkdir(join(context, "certs"), { recursive: true });
  // Never empty, so the Dockerfiles' `COPY certs/` works with no extra CA at all.
  await writeFile(join(context, "certs", "README"), "Extra CA certificates added by Slipway (*.crt).\n");
  for (const ca of await extraCaCertificates()) await writeFile(join(context, "certs", ca.name), ca.pem);
  return context;
}

async function buildOrReuse(
  engine: Engine,
  def: BuilderDef,
  source: BuilderSource,
  onLine: (line: string) => void,
  signal: AbortSignal | undefined,
): Promise<ResolvedBuilder> {
  const ref = `slipway-builder/${repoName(def.name)}:${repoName(def.version)}-${await contentHash(source, def.version)}`;
  const existing = await engine.imageId(ref);
  if (existing) return { ref, imageId: existing, built: false };
  try {
    const imageId = await engine.buildImage({
      context: source.context,
      dockerfile: source.dockerfile,
      tags: [ref],
      labels: { "io.slipway.builder": def.name, "io.slipway.builder.version": def.version },
      onLine,
      signal,
    });
    return { ref, imageId, built: true };
  } catch (err) {
    // A cancelled or timed-out build is not a broken builder: keep the engine's ABORTED code.
    if (err instanceof EngineError && err.code !== "SLIPWAY_E_ENGINE_ABORTED") {
      throw new BuilderError("SLIPWAY_E_BUILDER_BUILD_FAILED", `builder ${def.name}: ${err.message}`, { cause: err });
    }
    throw err;
  }
}
