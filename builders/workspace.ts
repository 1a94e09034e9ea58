import { randomBytes } from "node:crypto";
import { posix } from "node:path";
import { type Engine, extractArchive, packBuildContext, slipwayLabels } from "../engine/index.js";
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
    /** Host checkout the volume is filled from; artifacts are copied back into it for `package`. */
    readonly hostDir: string,
    /** Resolves once `hostDir` is checked out (making the checkout on its first call). */
    private readonly hostReady: () => Promise<void>,
    private readonly labels: Record<string, string>,
  ) {}

  static async create(
    engine: Engine,
    opts: { runId: string; owner: string; hostDir: string; hostReady?: () => Promise<void> },
  ): Promise<Workspace> {
    const labels = slipwayLabels({ owner: opts.owner, runId: opts.runId, role: "builder" });
    const volume = `slipway-ws-${opts.runId}`;
    await engine.createVolume(volume, labels);
    return new Workspace(engine, volume, opts.hostDir, opts.hostReady ?? (() => Promise.resolve()), labels);
  }

  /**
   * Copies the host checkout into the volume, once, through a created-but-never-started
   * container of `image` (any image the step is about to run anyway, so nothing extra is
   * needed). `.git` is left out: its objects live in the user's repository.
   */
  async seed(image: string): Promise<void> {
    if (this.seeded) return;
    await this.hostReady();
    const tar = await packBuildContext(this.hostDir, { exclude: [".git"], dockerignore: false });
    await this.copyThroughNewContainer(image, tar);
    this.seeded = true;
  }

  private async copyThroughNewContainer(image: string, tar: NodeJS.ReadableStream): Promise<void> {
    const id = await this.engine.createContainer({
      image,
      cmd: ["true"],
      binds: [`${this.volume}:${WORKSPACE_PATH}`],
      labels: this.labels,
    });
    try {
      await this.engine.copyToContainer(id, WORKSPACE_PATH, tar);
    } finally {
      await this.engine.removeContainer(id);
    }
  }

  /**
   * The same copy, for the run's first step, made while that step's container starts: its
   * script waits for `waitForFile`, the archive's last entry. The copy goes through a second
   * container of the step's image (created, never started), not the step's own: the engine
   * extracts an archive into a container and starts it one at a time, and the extraction
   * (~40 ms) would then come before the start (~170 ms) instead of beside it. Undefined
   * once the volume is filled: later steps wait for nothing (stages run one after another; a
   * plan whose copy never ran, its step having failed first, leaves the copy to the next).
   */
  fillBeside(image: string): { waitForFile: string; fill(): Promise<void> } | undefined {
    if (this.seeded) return undefined;
    // Random, so no file of an image's own /workspace (copied into a new volume) can stand for it.
    const marker = `.slipway-copied-${randomBytes(4).toString("hex")}`;
    return {
      waitForFile: posix.join(WORKSPACE_PATH, marker),
      fill: async () => {
        await this.hostReady();
        const tar = await packBuildContext(this.hostDir, { exclude: [".git"], dockerignore: false, lastEntry: marker });
        await this.copyThroughNewContainer(image, tar);
        this.seeded = true;
      },
    };
  }

  /**
   * Copies declared artifacts out of a finished step container into `destDir` and back
   * into the host checkout, so later stages (and `package`'s build context) see them.
   */
  async collectArtifacts(containerId: string, paths: string[], destDir: string): Promise<string[]> {
    const collected: string[] = [];
    await this.hostReady();
    for (const rel of paths) {
      // The archive's top entry is the basename of `rel`; it lands at the same relative place.
      // Each destination gets its own copy of the archive (streamed, never buffered whole),
      // and each is extracted under the same rules: the checkout's committed symlinks and
      // file types are never written through or replaced. The checkout goes first: an archive
      // it refuses never reaches the run's artifact store, where a retry would restore it.
      const prefix = posix.dirname(posix.normalize(rel));
      let files: string[] = [];
      for (const dest of [this.hostDir, destDir]) {
        const tar = await this.archive(containerId, rel);
        files = await extractArchive(tar, { dest, prefix, label: `artifact ${rel}` });
      }
      collected.push(...files);
    }
    return collected;
  }

  private async archive(containerId: string, rel: string): Promise<NodeJS.ReadableStream> {
    try {
      return await this.engine.copyFromContainer(containerId, `${WORKSPACE_PATH}/${rel}`);
    } catch (err) {
      throw new BuilderError("SLIPWAY_E_ARTIFACT_MISSING", `artifact ${rel} was not produced by the stage`, {
        cause: err,
      });
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.engine.removeResource({ kind: "volume", id: this.volume, name: this.volume, labels: this.labels });
  }
}
