import { createWriteStream } from "node:fs";
import { mkdir } from "node:fs/promises";
import { dirname, join, normalize } from "node:path";
import { pipeline } from "node:stream/promises";
import { extract } from "tar-stream";
import { type Engine, packBuildContext, slipwayLabels } from "../engine/index.js";
import { BuilderError } from "./errors.js";
import { WORKSPACE_PATH } from "./step.js";

/**
 * The run's copy of the source, held in a Docker volume rather than a bind mount: a volume
 * works the same when Slipway itself runs in a container next to the daemon (paths inside
 * Slipway's container mean nothing to the host's daemon). Steps mount it at `/workspace`.
 */
export class Workspace implements AsyncDisposable {
  private seeded = false;

  private constructor(
    private readonly engine: Engine,
    readonly volume: string,
    /** Host checkout the volume was filled from; artifacts are copied back into it for `package`. */
    readonly hostDir: string,
    private readonly labels: Record<string, string>,
  ) {}

  static async create(engine: Engine, opts: { runId: string; owner: string; hostDir: string }): Promise<Workspace> {
    const labels = slipwayLabels({ owner: opts.owner, runId: opts.runId, role: "builder" });
    const volume = `slipway-ws-${opts.runId}`;
    await engine.createVolume(volume, labels);
    return new Workspace(engine, volume, opts.hostDir, labels);
  }

  /**
   * Copies the host checkout into the volume, once, through a created-but-never-started
   * container of `image` (any image the step is about to run anyway, so nothing extra is
   * needed). `.git` is left out: its objects live in the user's repository.
   */
  async seed(image: string): Promise<void> {
    if (this.seeded) return;
    const id = await this.engine.createContainer({
      image,
      cmd: ["true"],
      binds: [`${this.volume}:${WORKSPACE_PATH}`],
      labels: this.labels,
    });
    try {
      const tar = await packBuildContext(this.hostDir, { exclude: [".git"], dockerignore: false });
      await this.engine.copyToContainer(id, WORKSPACE_PATH, tar);
      this.seeded = true;
    } finally {
      await this.engine.removeContainer(id);
    }
  }

  /**
   * Copies declared artifacts out of a finished step container into `destDir` and back
   * into the host checkout, so later stages (and `package`'s build context) see them.
   */
  async collectArtifacts(containerId: string, paths: string[], destDir: string): Promise<string[]> {
    const collected: string[] = [];
    for (const rel of paths) {
      let tar: NodeJS.ReadableStream;
      try {
        tar = await this.engine.copyFromContainer(containerId, `${WORKSPACE_PATH}/${rel}`);
      } catch (err) {
        throw new BuilderError("SLIPWAY_E_ARTIFACT_MISSING", `artifact ${rel} was not produced by the stage`, {
          cause: err,
        });
      }
      // The archive's top entry is the basename of `rel`; it lands at the same relative place.
      const parent = dirname(rel);
      const files = await extractTar(tar, [join(destDir, parent), join(this.hostDir, parent)]);
      collected.push(...files.map((f) => normalize(join(parent, f))));
    }
    return collected;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.engine.removeResource({ kind: "volume", id: this.volume, name: this.volume, labels: this.labels });
  }
}

/** Extracts regular files and directories of a tar stream into every target dir; returns their paths. */
async function extractTar(tar: NodeJS.ReadableStream, targets: string[]): Promise<string[]> {
  const files: string[] = [];
  const ex = extract();
  ex.on("entry", (header, stream, next) => {
    const name = normalize(header.name);
    if (name.startsWith("..") || name.startsWith("/")) {
      stream.resume();
      next();
      return;
    }
    if (header.type === "file") {
      files.push(name);
      void (async () => {
        const chunks: Buffer[] = [];
        for await (const chunk of stream) chunks.push(chunk as Buffer);
        const body = Buffer.concat(chunks);
        for (const target of targets) {
          const out = join(target, name);
          await mkdir(dirname(out), { recursive: true });
          await new Promise<void>((resolve, reject) =>
            createWriteStream(out, { mode: header.mode ?? 0o644 })
              .on("error", reject)
              .end(body, resolve),
          );
        }
        next();
      })().catch((err: Error) => next(err));
    } else {
      if (header.type === "directory")
        for (const target of targets) void mkdir(join(target, name), { recursive: true });
      stream.resume();
      next();
    }
  });
  await pipeline(tar, ex);
  return files;
}
